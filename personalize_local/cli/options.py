"""Command-line options that can also be set through environment variables, the way DynamoDB Local and moto's
server are configured: a flag given on the command line wins over its variable, which wins over the default; the
``--help`` text names the variable of each option."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

ENV_PREFIX = "PERSONALIZE_LOCAL_"

#: The variable of every option added with :func:`add_env_option` (for documentation and tests).
OPTION_VARIABLES: dict[str, str] = {}


def env_name(flag: str) -> str:
    """``--data-dir`` -> ``PERSONALIZE_LOCAL_DATA_DIR``."""
    return ENV_PREFIX + flag.lstrip("-").replace("-", "_").upper()


def truthy(text: str) -> bool:
    """An environment variable's value as a switch (1/true/yes/on)."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a true/false value: {text!r}")


def add_env_option(
    parser: argparse.ArgumentParser,
    flag: str,
    *,
    help: str,
    default: Any = None,
    type: Callable[[str], Any] = str,
    switch: bool = False,
) -> None:
    """Add ``flag`` whose default comes from its ``PERSONALIZE_LOCAL_*`` variable when that is set.

    ``switch=True`` makes a flag without a value (the variable then takes 1/true/yes/on or 0/false/no/off).
    """
    variable = env_name(flag)
    OPTION_VARIABLES[flag] = variable
    raw = os.environ.get(variable)
    try:
        value = default if raw is None else (truthy(raw) if switch else type(raw))
    except (ValueError, argparse.ArgumentTypeError) as exc:
        parser.error(f"{variable}={raw!r}: {exc}")
    shown = "" if default is None or switch else f"; default {default}"
    text = f"{help} [env {variable}{shown}]"
    if switch:
        parser.add_argument(flag, action="store_true", default=value, help=text)
    else:
        parser.add_argument(flag, type=type, default=value, help=text)
