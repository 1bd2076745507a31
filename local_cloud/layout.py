"""Where the tier keeps its files: everything lives under ``.local-cloud/`` in the checkout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Layout:
    """Paths of one local cloud: the state file, pid files, logs and the temp dirs of each process."""

    root: Path

    @classmethod
    def default(cls) -> Layout:
        """The layout under ``<checkout>/.local-cloud``."""
        return cls(REPO_ROOT / ".local-cloud")

    @property
    def state_file(self) -> Path:
        """JSON description of the running tier (ports, URLs, stack outputs)."""
        return self.root / "state.json"

    @property
    def logs(self) -> Path:
        """One log file per process."""
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        """One pid file per process (each process leads its own process group)."""
        return self.root / "pids"

    @property
    def tmp(self) -> Path:
        """TMPDIR of the emulator: its pid file and the ``ministack-lambda-*`` worker directories land here."""
        return self.root / "tmp"

    @property
    def personalize_data(self) -> Path:
        """Data directory of Personalize Local."""
        return self.root / "personalize-local"

    def create(self) -> None:
        """Create every directory of the layout."""
        for path in (self.root, self.logs, self.pids, self.tmp, self.personalize_data):
            path.mkdir(parents=True, exist_ok=True)
        (self.root / ".gitignore").write_text("*\n")  # nothing of a running tier belongs in git
