"""Shared fixtures. Integration tests read ../shared/corpora and skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPORA = Path(os.environ.get("AUDITOR_SHARED_CORPORA", REPO.parent / "shared" / "corpora"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """The shared corpora directory (MANIFEST.json, benchmarks/, samples/)."""
    if not (SHARED_CORPORA / "MANIFEST.json").is_file():
        pytest.skip(f"shared corpora not found at {SHARED_CORPORA}")
    return SHARED_CORPORA


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep tests away from the user's cache and config."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv("AUDITOR_DATA_DIR", raising=False)
