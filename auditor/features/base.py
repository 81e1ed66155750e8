"""The extractor protocol, its unit of work and its result record.

An extractor turns a batch of unique programs (`Item`) into one `Extraction` per item:
numeric features under the extractor's column prefix, plus the findings behind them
(so `auditor check` shows the same diagnostics the model sees, from the same run).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from auditor.types import Finding


@dataclass(frozen=True)
class Item:
    """One unique program to analyse: its hash, text and (for rules) entry point."""

    sha256: str
    code: str
    entry_point: str | None = None

    @property
    def key(self) -> str:
        """Cache and dedupe key: the hash, plus the entry point when there is one."""
        return self.sha256 if not self.entry_point else f"{self.sha256}|{self.entry_point}"

    @property
    def text(self) -> str:
        """The code with lone surrogates (undecodable input bytes) replaced by '?'.

        Tools read files and stdlib `ast` needs encodable text; replacing keeps line
        and column numbers unchanged.
        """
        return self.code.encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True)
class Extraction:
    """Features (column -> value) and findings of one item; `failed` when none.

    `aux` carries JSON-able data other stages need (e.g. the AST shape for the
    relative features); it is cached with the rest.
    """

    features: Mapping[str, float] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    failed: bool = False
    aux: Mapping[str, Any] = field(default_factory=dict)


FAILED = Extraction(failed=True)


@runtime_checkable
class Extractor(Protocol):
    """A source of features. `name` is the column prefix; bump `version` on any change."""

    @property
    def name(self) -> str:
        """Column prefix and registry key."""
        ...

    @property
    def version(self) -> str:
        """Part of the cache key and the schema hash; bump when the columns' meaning changes."""
        ...

    @property
    def fingerprint(self) -> str:
        """What else the values depend on (tool version, rule sources): part of the cache
        key, not of the schema, so an upgrade recomputes without breaking saved models."""
        ...

    @property
    def columns(self) -> tuple[str, ...]:
        """The fixed, ordered feature columns (prefixed, without `<name>.failed`)."""
        ...

    def extract(self, batch: Sequence[Item]) -> list[Extraction]:
        """One result per item, in order. May raise; the runner then isolates items."""
        ...


def counts(columns: Iterable[str], found: Mapping[str, float]) -> dict[str, float]:
    """A full row over `columns`: values from `found`, 0.0 where absent."""
    return {c: float(found.get(c, 0.0)) for c in columns}


def failed_column(name: str) -> str:
    return f"{name}.failed"


def finite_or_nan(x: float) -> float:
    x = float(x)
    return x if math.isfinite(x) else math.nan
