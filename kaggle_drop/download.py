"""Downloading the dataset with the official ``kaggle`` package (its ``KaggleApi``)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from kaggle_drop.dataset import dataset_ref

CREDENTIALS_HELP = (
    "no Kaggle credentials found; the kaggle package printed the ways to provide them above (`kaggle auth login`, "
    "KAGGLE_API_TOKEN, ~/.kaggle/access_token, or a legacy kaggle.json / KAGGLE_USERNAME + KAGGLE_KEY); see "
    "https://github.com/Kaggle/kaggle-api"
)


class KaggleDownloadError(Exception):
    """The dataset could not be downloaded (credentials, network, unknown version)."""


def kaggle_api() -> Any:
    """The official client, authenticated the way Kaggle documents (kaggle.json or environment variables)."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing ``kaggle`` tries to authenticate and prints help
        from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    try:
        api.authenticate()
    except SystemExit:  # the client prints its own help and calls exit(1) when it finds no credentials
        raise KaggleDownloadError(CREDENTIALS_HELP) from None
    return api


def download_dataset(api: Any, target: Path, version: int | None) -> Path:
    """Download and unzip the dataset (``version``, or the latest when None) into ``target``; returns ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    ref = dataset_ref(version)
    try:
        api.dataset_download_files(ref, path=str(target), unzip=True, quiet=False)
    except Exception as error:  # the client raises requests/HTTP errors and plain Exceptions alike
        raise KaggleDownloadError(f"downloading {ref} into {target} failed: {error}") from error
    return target
