"""Reading process states from /proc, for tests that check what survives a kill."""

from __future__ import annotations

from pathlib import Path


def state(pid: int) -> str:
    """A process's state letter ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
