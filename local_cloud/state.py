"""The running tier's description, written to ``.local-cloud/state.json`` and read by the tests and the CLI."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from local_cloud.layout import Layout


@dataclass
class TierState:
    """Ports, URLs, process ids, the deployed stack and how long each phase took."""

    ministack_url: str = ""
    ministack_pid: int = 0
    personalize_url: str = ""
    personalize_pid: int = 0
    stack_name: str = ""
    region: str = "us-east-1"
    outputs: dict[str, str] = field(default_factory=dict)
    http_apis: dict[str, str] = field(default_factory=dict)
    routes_added: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def save(self, layout: Layout) -> None:
        """Write the state file."""
        layout.create()
        layout.state_file.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, layout: Layout) -> TierState:
        """Read the state file; a clear error when the tier is not up."""
        if not layout.state_file.exists():
            raise FileNotFoundError(
                f"{layout.state_file} not found: the local cloud is not up (run `make local-cloud`)"
            )
        return cls(**json.loads(layout.state_file.read_text()))
