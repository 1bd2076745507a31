"""The resource lifecycle every resource family shares: configuration, ARNs, lookups, asynchronous create/delete
through a background worker (the status machine), name uniqueness and pagination. Each family gets one
:class:`Lifecycle` in its constructor."""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from personalize_local.datafiles import DataFiles
from personalize_local.exceptions import (
    InvalidInputException,
    InvalidNextTokenException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    TooManyTagsException,
    resource_not_found,
)
from personalize_local.models.clock import clock_speed_from_environment
from personalize_local.models.domain import Page, from_resource
from personalize_local.store import MetadataStore, Resource

T = TypeVar("T")

logger = logging.getLogger("personalize_local")

ACTIVE = "ACTIVE"
CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
CREATE_FAILED = "CREATE FAILED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
CREATING = (CREATE_PENDING, CREATE_IN_PROGRESS)
TRAINING = (CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_STOPPING)  # solution versions can also be stopping
DELETING = (DELETE_PENDING, DELETE_IN_PROGRESS)

ARN_PATTERN = re.compile(r"^arn:([a-z\d-]+):personalize:.*:.*:.+$")
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
MAX_TAGS = 200

# Human-readable names of the resource kinds, for error messages.
LABELS = {
    "dataset-group": "dataset group",
    "schema": "schema",
    "dataset": "dataset",
    "dataset-import-job": "dataset import job",
    "solution": "solution",
    "solution-version": "solution version",
    "campaign": "campaign",
    "event-tracker": "event tracker",
    "filter": "filter",
    "recommender": "recommender",
    "dataset-export-job": "dataset export job",
    "data-deletion-job": "data deletion job",
    "metric-attribution": "metric attribution",
}


# The region of the request being served (its SigV4 credential scope); None outside a request (worker threads).
_REQUEST_REGION: ContextVar[str | None] = ContextVar("personalize_local_request_region", default=None)


def arn_region(arn: str) -> str:
    """The region field of an ARN (empty for the global recipe ARNs)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


class CreateFailed(Exception):
    """Raised by a create job: the resource ends in CREATE FAILED with this message as ``failureReason``."""


@dataclass(frozen=True)
class BackendConfig:
    """Where state lives and which region/account the ARNs name."""

    data_dir: Path
    region: str = "us-east-1"
    account_id: str = "123456789012"
    step_delay: float = 0.02  # seconds between status transitions, so callers must poll as on AWS
    workers: int = 4
    seed: int = 0  # the seed of every evaluation split and training run
    max_dataset_groups: int = 5  # AWS's default (adjustable) quota of dataset groups per region
    share_training: bool = True  # reuse a result of identical training (personalize_local.training_cache)
    recommender_retrain_seconds: float = 7 * 86400  # recommenders retrain this often when new data arrived
    # Simulated seconds per real second of the schedules' clock (automatic training); PERSONALIZE_LOCAL_CLOCK_SPEED.
    clock_speed: float = field(default_factory=clock_speed_from_environment)


def now() -> float:
    """Epoch seconds, the wire format of Personalize timestamps."""
    return round(time.time(), 3)


class Lifecycle:
    """The store, data files and worker shared by every resource family, and the status machine."""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = MetadataStore(config.data_dir / "metadata.sqlite3")
        self.files = DataFiles(config.data_dir)
        self.lock = threading.RLock()
        self._executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="personalize-local-worker")
        self._stopping = threading.Event()
        # kind -> job run while the resource is CREATE IN_PROGRESS; kind -> cleanup run before it is removed.
        self.create_jobs: dict[str, Callable[[Resource], None]] = {}
        self.delete_jobs: dict[str, Callable[[Resource], None]] = {}

    # ------------------------------------------------------------------ regions, ARNs and lookups
    @staticmethod
    @contextmanager
    def in_region(region: str | None) -> Iterator[None]:
        """Serve the calls inside the block for ``region`` (None: the configured default region)."""
        token = _REQUEST_REGION.set(region)
        try:
            yield
        finally:
            _REQUEST_REGION.reset(token)

    @property
    def region(self) -> str:
        """The region of the current request, or the configured one outside a request."""
        return _REQUEST_REGION.get() or self.config.region

    def arn(self, path: str) -> str:
        """``arn:aws:personalize:<region>:<account>:<path>`` in the request's region."""
        return f"arn:aws:personalize:{self.region}:{self.config.account_id}:{path}"

    def find(self, kind: str, *, name: str | None = None, parent: str | None = None) -> list[Resource]:
        """Like ``store.find``, but only the resources of the current region (each region's are separate)."""
        region = self.region
        return [r for r in self.store.find(kind, name=name, parent=parent) if arn_region(r.arn) == region]

    @staticmethod
    def new_id() -> str:
        """A short random resource id, as in solution-version and event-tracker ARNs."""
        return uuid.uuid4().hex[:8]

    @staticmethod
    def check_name(name: str, what: str = "name") -> None:
        """Personalize's resource-name rule."""
        if not (1 <= len(name) <= 63) or not _NAME.match(name):
            raise InvalidInputException(
                f"Invalid {what} {name!r}: 1-63 characters, letters, digits, - and _, starting with a letter or digit"
            )

    def get(self, kind: str | None, arn: str) -> Resource:
        """The resource of ``kind`` (None: of any kind) with ``arn`` in the request's region.

        InvalidInputException for a malformed ARN, ResourceNotFoundException when there is none.
        """
        label = LABELS[kind] if kind else "resource"
        if not isinstance(arn, str) or not ARN_PATTERN.match(arn):
            raise InvalidInputException(f"Invalid ARN {arn!r} for a {label}")
        resource = self.store.get(arn)
        request_region = _REQUEST_REGION.get()
        wrong_kind = resource is not None and kind is not None and resource.kind != kind
        if resource is None or wrong_kind or (request_region and arn_region(arn) != request_region):
            raise resource_not_found(label, arn)
        return resource

    def get_active(self, kind: str, arn: str) -> Resource:
        """Like :meth:`get`, but the resource must be ACTIVE (ResourceInUseException otherwise)."""
        resource = self.get(kind, arn)
        if resource.status != ACTIVE:
            raise ResourceInUseException(
                f"The {LABELS[kind]} {arn} is not ACTIVE (status {resource.status}); wait until it is"
            )
        return resource

    def ensure_unique_name(self, kind: str, name: str, parent: str | None = None) -> None:
        """ResourceAlreadyExistsException when a resource of ``kind`` (under ``parent``) already has ``name``."""
        if self.find(kind, name=name, parent=parent):
            raise ResourceAlreadyExistsException(f"A {LABELS[kind]} with the name {name} already exists")

    # ------------------------------------------------------------------ lifecycle
    def register(
        self,
        kind: str,
        create: Callable[[Resource], None] | None = None,
        delete: Callable[[Resource], None] | None = None,
    ) -> None:
        """The job run while a resource of ``kind`` is CREATE IN_PROGRESS and the clean-up run before it is removed."""
        if create is not None:
            self.create_jobs[kind] = create
        if delete is not None:
            self.delete_jobs[kind] = delete

    def delete_children(self, parent_kind: str, child_kind: str) -> None:
        """When a resource of ``parent_kind`` is removed, also remove its children of ``child_kind`` (after the
        clean-up already registered for ``parent_kind``)."""
        previous = self.delete_jobs.get(parent_kind)

        def cleanup(parent: Resource) -> None:
            if previous is not None:
                previous(parent)
            for child in self.store.find(child_kind, parent=parent.arn):
                self.store.delete(child.arn)

        self.delete_jobs[parent_kind] = cleanup

    def create(
        self,
        resource: Resource,
        tags: list[dict[str, str]] | None = None,
        runner: Callable[[str], None] | None = None,
    ) -> Resource:
        """Store a new resource in CREATE PENDING and let the worker take it to ACTIVE or CREATE FAILED.

        ``runner`` replaces :meth:`run_create` for resources with their own statuses (data deletion jobs)."""
        stamp = now()
        resource.body.setdefault("status", CREATE_PENDING)
        resource.body["creation_date_time"] = stamp
        resource.body["last_updated_date_time"] = stamp
        tag_map = check_tags(tags)
        self.store.insert(resource)
        if tag_map:
            self.store.set_tags(resource.arn, tag_map)
        self.submit(runner or self.run_create, resource.arn)
        return resource

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the background worker."""
        if self._stopping.is_set():
            return
        future = self._executor.submit(fn, *args)
        future.add_done_callback(_log_failure)

    def pause(self) -> None:
        """The artificial delay between two status transitions."""
        if self.config.step_delay > 0:
            self._stopping.wait(self.config.step_delay)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (at once) when the backend is shutting down."""
        return self._stopping.wait(seconds)

    def set_status(self, arn: str, status: str, failure_reason: str | None = None, **fields: Any) -> Resource | None:
        """Move a resource to ``status`` (and set extra body fields); None when it no longer exists."""
        with self.lock:
            resource = self.store.get(arn)
            if resource is None:
                return None
            resource.body["status"] = status
            resource.body["last_updated_date_time"] = now()
            if failure_reason is not None:
                resource.body["failure_reason"] = failure_reason
            resource.body.update(fields)
            self.store.save(resource)
            return resource

    def set_update_status(
        self,
        arn: str,
        member: str,
        status: str,
        failure_reason: str | None = None,
        apply: Callable[[Resource, dict[str, Any]], None] | None = None,
    ) -> Resource | None:
        """Move the update in ``body[member]`` (``latest_campaign_update``, ``latest_solution_update``…) to
        ``status``; on ACTIVE ``apply(resource, update)`` makes it the resource's settings and the resource's
        ``last_updated_date_time`` becomes the update's. None when the resource or its update no longer exists."""
        with self.lock:
            resource = self.store.get(arn)
            if resource is None or member not in resource.body:
                return None
            update = resource.body[member]
            update.update(status=status, last_updated_date_time=now())
            if failure_reason:
                update["failure_reason"] = failure_reason
            if status == ACTIVE:
                if apply is not None:
                    apply(resource, update)
                resource.body["last_updated_date_time"] = update["last_updated_date_time"]
            self.store.save(resource)
            return resource

    def run_create(self, arn: str) -> None:
        """Worker: CREATE PENDING -> CREATE IN_PROGRESS -> (job) -> ACTIVE or CREATE FAILED.

        A solution version stopped meanwhile (CREATE STOPPING) ends CREATE STOPPED instead.
        """
        self.pause()
        if self._stopped_instead(arn):
            return
        resource = self.set_status(arn, CREATE_IN_PROGRESS)
        if resource is None or self._stopping.is_set():
            return
        self.pause()
        job = self.create_jobs.get(resource.kind)
        try:
            if job is not None:
                job(resource)
        except CreateFailed as exc:
            if not self._stopped_instead(arn):
                self.set_status(arn, CREATE_FAILED, failure_reason=str(exc))
            return
        except Exception as exc:  # a bug or an unexpected library error: the resource fails, the server lives
            logger.exception("creating %s failed", arn)
            self.set_status(arn, CREATE_FAILED, failure_reason=f"Internal error: {type(exc).__name__}: {exc}")
            return
        if self._stopping.is_set() or self._stopped_instead(arn):
            return
        self.set_status(arn, ACTIVE)

    def _stopped_instead(self, arn: str) -> bool:
        """CREATE STOPPING -> CREATE STOPPED (True), or False when the resource was not being stopped."""
        with self.lock:
            resource = self.store.get(arn)
            if resource is None:
                return True
            if resource.status != CREATE_STOPPING:
                return False
            self.set_status(arn, CREATE_STOPPED)
            return True

    def delete(self, resource: Resource) -> None:
        """Start deleting: DELETE PENDING now, DELETE IN_PROGRESS and removal on the worker."""
        if resource.status in DELETING:
            raise ResourceInUseException(f"The {LABELS[resource.kind]} {resource.arn} is already being deleted")
        self.set_status(resource.arn, DELETE_PENDING)
        self.submit(self.run_delete, resource.arn)

    def run_delete(self, arn: str) -> None:
        """Worker: DELETE PENDING -> DELETE IN_PROGRESS -> gone (Describe then raises ResourceNotFound)."""
        self.pause()
        resource = self.set_status(arn, DELETE_IN_PROGRESS)
        if resource is None or self._stopping.is_set():
            return
        self.pause()
        cleanup = self.delete_jobs.get(resource.kind)
        if cleanup is not None:
            cleanup(resource)
        self.store.delete(arn)

    def resume(self) -> None:
        """After a restart: continue every create and delete that was under way when the server stopped."""
        for kind in LABELS:
            for resource in self.store.find(kind):
                if resource.status in TRAINING:
                    self.submit(self.run_create, resource.arn)
                elif resource.status in DELETING:
                    self.submit(self.run_delete, resource.arn)

    def shutdown(self) -> None:
        """Stop the worker (running jobs finish their current step) and close the store."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.store.close()

    # ------------------------------------------------------------------ lists
    def list_page(
        self,
        kind: str,
        cls: type[T],
        next_token: str | None,
        max_results: int | None,
        parent: tuple[str, str | None] | None = None,
    ) -> Page[T]:
        """One page of the resources of ``kind`` as ``cls``, newest first, as Personalize lists them.

        ``parent`` = (its kind, its ARN or None): only the children of that resource (which must exist; a missing
        one is ResourceNotFoundException, which ``responses`` answers as the operation models it).
        """
        parent_arn = None
        if parent is not None and parent[1]:
            parent_arn = self.get(parent[0], parent[1]).arn
        found = self.find(kind, parent=parent_arn)
        return self.paginate([from_resource(cls, r) for r in reversed(found)], next_token, max_results)

    @staticmethod
    def paginate(items: list[T], next_token: str | None, max_results: int | None) -> Page[T]:
        """One page of ``items`` and the token of the next page (None on the last page)."""
        size = 100 if max_results is None else max_results
        if not 1 <= size <= 100:
            raise InvalidInputException(f"maxResults must be between 1 and 100, got {size}")
        start = 0
        if next_token:
            try:
                start = int(base64.urlsafe_b64decode(next_token.encode()).decode().removeprefix("offset:"))
            except ValueError as exc:
                raise InvalidNextTokenException(f"Invalid nextToken {next_token!r}") from exc
            if not 0 <= start <= len(items):
                raise InvalidNextTokenException(f"Invalid nextToken {next_token!r}")
        end = start + size
        token = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
        return Page(items[start:end], token)


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("background job failed", exc_info=future.exception())


def check_tags(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """The tag list of a request (``tag_key`` / ``tag_value``) as a dict (at most 200 tags).

    Keys and values must not start with ``aws:``, which AWS reserves
    (https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html); lengths and characters are
    checked against the model in ``personalize_local.constraints``.
    """
    for tag in tags or []:
        for part in ("tag_key", "tag_value"):
            if tag[part].lower().startswith("aws:"):
                raise InvalidInputException(
                    f"Tag keys and values can't start with aws: (reserved for AWS use), got {tag[part]!r}"
                )
    tag_map = {tag["tag_key"]: tag["tag_value"] for tag in tags or []}
    if len(tag_map) > MAX_TAGS:
        raise TooManyTagsException(f"At most {MAX_TAGS} tags per resource, got {len(tag_map)}")
    return tag_map
