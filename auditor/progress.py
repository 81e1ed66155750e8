"""The progress bar of long runs (`label`, `check --tasks`): on stderr, only on a terminal,
so that CI logs and redirected output stay free of it."""

from __future__ import annotations

import sys
from typing import Any


def progress_bar(total: int, unit: str, enabled: bool = True) -> Any:
    """A tqdm bar over `total` units, or None when disabled or stderr is not a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, smoothing=0.1, dynamic_ncols=True)
