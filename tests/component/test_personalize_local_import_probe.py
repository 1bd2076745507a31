"""Personalize Local's recipes load without the server stack, checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_recipes_loads_no_server_stack() -> None:
    probe = (
        "import sys, personalize_local.recipes, personalize_local.recipes.registry; "
        "print(','.join(m for m in ('werkzeug', 'boto3', 'personalize_local.server') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
