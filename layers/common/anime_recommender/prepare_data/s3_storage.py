""":class:`~anime_recommender.prepare_data.storage.Storage` on an S3 prefix, with a streaming multipart writer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from botocore.exceptions import ClientError

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 16 * 1024 * 1024  # 10,000 parts x 16 MiB = 160 GB, far above any prepared file


class S3Storage:
    """Files under ``s3://bucket/prefix``; ``s3_client`` is an ordinary boto3 S3 client."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str, *, part_size: int = DEFAULT_PART_SIZE) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self._s3 = s3_client
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._part_size = part_size

    def key(self, name: str) -> str:
        """The S3 key of ``name``."""
        return self.prefix + name

    def size(self, name: str) -> int | None:
        """ContentLength of the object, or None when it does not exist."""
        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=self.key(name))["ContentLength"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def read_head(self, name: str, length: int) -> bytes:
        """The first ``length`` bytes (a ranged GET)."""
        if length <= 0:
            return b""
        response = self._s3.get_object(Bucket=self.bucket, Key=self.key(name), Range=f"bytes=0-{length - 1}")
        return response["Body"].read()

    @contextmanager
    def open_read(self, name: str) -> Iterator[BinaryIO]:
        """The object's body as a stream (never loaded whole)."""
        body = self._s3.get_object(Bucket=self.bucket, Key=self.key(name))["Body"]
        try:
            yield body
        finally:
            body.close()

    @contextmanager
    def open_write(self, name: str, content_type: str = "text/csv") -> Iterator[BinaryIO]:
        """Stream into a multipart upload; completed on success, aborted (no object) on any exception."""
        writer = _MultipartWriter(self._s3, self.bucket, self.key(name), content_type, self._part_size)
        try:
            yield writer  # type: ignore[misc]
            writer.finish()
        except BaseException:
            writer.abort()
            raise

    def uri(self, name: str) -> str:
        """``s3://bucket/key`` of ``name``."""
        return f"s3://{self.bucket}/{self.key(name)}"


class _MultipartWriter(io.RawIOBase):
    """A write-only stream that uploads fixed-size parts as they fill; memory stays at one part."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, part_size: int) -> None:
        super().__init__()
        self._s3, self._bucket, self._key, self._content_type = s3, bucket, key, content_type
        self._part_size = part_size
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        while len(self._buffer) >= self._part_size:
            self._upload_part(bytes(self._buffer[: self._part_size]))
            del self._buffer[: self._part_size]
        return len(view)

    def _upload_part(self, payload: bytes) -> None:
        if self._upload_id is None:
            created = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._content_type
            )
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        response = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=payload
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def finish(self) -> None:
        """Publish the object: a single PUT when it fits in one part, else upload the tail and complete."""
        if self._upload_id is None:
            self._s3.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType=self._content_type
            )
        else:
            if self._buffer:
                self._upload_part(bytes(self._buffer))
            self._s3.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        self._buffer.clear()

    def abort(self) -> None:
        """Drop everything written so far; no object is created."""
        self._buffer.clear()
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None
