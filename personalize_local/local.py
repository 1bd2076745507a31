"""Run Personalize Local in-process: :func:`local_personalize` starts a server on 127.0.0.1 in a background thread
and points boto3 at it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from personalize_local.models import BackendConfig, PersonalizeBackend
from personalize_local.server import SERVING_BLAS_THREADS, PersonalizeServer, data_dir_path

ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_PERSONALIZE",
    "AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME",
    "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS",
)


@dataclass(frozen=True)
class LocalPersonalize:
    """A running in-process Personalize Local."""

    endpoint_url: str
    data_dir: Path
    backend: PersonalizeBackend

    @property
    def environment(self) -> dict[str, str]:
        """The three endpoint variables that point boto3 at this server."""
        return dict.fromkeys(ENDPOINT_VARIABLES, self.endpoint_url)


@contextmanager
def local_personalize(
    data_dir: str | Path | None = None,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    *,
    port: int = 0,
    step_delay: float = 0.02,
    max_dataset_groups: int = 5,
    set_environment: bool = True,
    blas_threads: int | None = SERVING_BLAS_THREADS,
    share_training: bool = True,
    recommender_retrain_seconds: float = 7 * 86400,
) -> Iterator[LocalPersonalize]:
    """Run Personalize Local on 127.0.0.1 (a free port unless ``port`` is given) in a background thread.

    While the block runs, ``AWS_ENDPOINT_URL_PERSONALIZE``, ``..._RUNTIME`` and ``..._EVENTS`` point at it (their
    previous values are restored on exit). ``data_dir=None`` uses a temporary directory removed on exit; a given
    directory keeps the state, so a later ``local_personalize`` on it sees the same resources. ``step_delay`` is
    the pause between two status transitions; ``max_dataset_groups`` the dataset-group quota (AWS default 5).
    While it runs, BLAS uses ``blas_threads`` thread(s) in this whole process (concurrent requests each run a small
    BLAS product; a multi-threaded BLAS per request oversubscribes the cores); ``None`` leaves BLAS as it is.
    ``share_training=False`` trains every solution version itself (see ``personalize_local.training_cache``).
    ``recommender_retrain_seconds`` is how often recommenders retrain when their data changed (AWS: 7 days).
    """
    with tempfile.TemporaryDirectory(prefix="personalize-local-") as scratch:
        root = data_dir_path(data_dir) if data_dir is not None else Path(scratch)
        config = BackendConfig(
            data_dir=root,
            region=region,
            account_id=account_id,
            step_delay=step_delay,
            max_dataset_groups=max_dataset_groups,
            share_training=share_training,
            recommender_retrain_seconds=recommender_retrain_seconds,
        )
        server = PersonalizeServer(config, port=port, blas_threads=blas_threads)
        saved = {name: os.environ.get(name) for name in ENDPOINT_VARIABLES}
        server.start()
        handle = LocalPersonalize(endpoint_url=server.endpoint_url, data_dir=root, backend=server.backend)
        try:
            if set_environment:
                os.environ.update(handle.environment)
            yield handle
        finally:
            if set_environment:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            server.stop()


__all__ = ["ENDPOINT_VARIABLES", "LocalPersonalize", "local_personalize"]
