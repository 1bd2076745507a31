"""What ``make demo`` published (its SSM parameters and catalog, saved in demo-output/), put back into a fresh
offline stack.

moto's SSM and S3 live as long as one process, while Personalize Local's campaigns persist in .personalize-local/.
In AWS a campaign that a later run keeps live keeps its SSM parameter from the run that deployed it; offline that
parameter has to be put back, or it would read the stack's placeholder.
"""

from __future__ import annotations

import json
from pathlib import Path

from offline.serve_api import seed_moto


def restore_publications(output_dir: Path, project: str) -> bool:
    """Put the SSM parameters and catalog saved in ``output_dir`` into moto; False when there are none."""
    parameters, catalog = output_dir / "ssm-parameters.json", output_dir / "catalog.json"
    if not (parameters.is_file() and catalog.is_file()):
        return False
    seed_moto(json.loads(parameters.read_text("utf-8")), catalog, project)
    return True
