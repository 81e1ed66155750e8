"""Reading process states from /proc, for tests that check what survives a kill."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path


def state(pid: int) -> str:
    """A process's state letter ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    """A process's children, of every thread (`LocalRunner` starts its workers from one)."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    found = []
    for task in tasks:
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:  # the thread ended
            continue
    return found


def alive(pids: Iterable[int]) -> list[int]:
    """The processes of `pids` that still run (neither gone nor a zombie)."""
    return [pid for pid in pids if state(pid) not in ("", "Z")]


def alive_after(pids: Iterable[int], seconds: float) -> list[int]:
    """`alive(pids)` once none is, or what is left after `seconds`."""
    pids = list(pids)
    deadline = time.monotonic() + seconds
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left
