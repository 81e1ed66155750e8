"""`radon.*`: cyclomatic complexity, maintainability index, Halstead and raw metrics.

Uses radon's API on one stdlib parse (the `*_ast` entry points), never its CLI.
The maintainability index is computed as `radon.metrics.mi_visit(code, multi=True)`
does, from the parts already at hand.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from importlib import metadata

from radon.metrics import h_visit_ast, mi_compute
from radon.raw import analyze
from radon.visitors import ComplexityVisitor

from auditor.features.base import Extraction, Item, finite_or_nan


class RadonExtractor:
    """Complexity, maintainability, Halstead and raw line counts."""

    name = "radon"
    version = "1"

    @property
    def fingerprint(self) -> str:
        return metadata.version("radon")

    columns: tuple[str, ...] = (
        "radon.cc_max",
        "radon.cc_sum",
        "radon.cc_mean",
        "radon.n_blocks",
        "radon.mi",
        "radon.h_volume",
        "radon.h_difficulty",
        "radon.h_effort",
        "radon.h_bugs",
        "radon.loc",
        "radon.lloc",
        "radon.sloc",
        "radon.comments",
        "radon.multi",
        "radon.blank",
    )

    def extract(self, batch: Sequence[Item]) -> list[Extraction]:
        return [self.extract_one(item) for item in batch]

    def extract_one(self, item: Item) -> Extraction:
        code = item.text
        try:
            tree = ast.parse(code)
            visitor = ComplexityVisitor.from_ast(tree)
            blocks = visitor.blocks
            module_cc = visitor.total_complexity
            halstead = h_visit_ast(tree).total
            raw = analyze(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return Extraction(failed=True)
        # cc_max/cc_mean over functions and classes; cc_sum also counts module-level code.
        cc = [b.complexity for b in blocks]
        comment_pct = (raw.comments + raw.multi) / raw.sloc * 100 if raw.sloc else 0.0
        mi = mi_compute(halstead.volume, module_cc, raw.lloc, comment_pct)
        row = {
            "radon.cc_max": float(max(cc, default=0)),
            "radon.cc_sum": float(module_cc),
            "radon.cc_mean": float(sum(cc) / len(cc)) if cc else 0.0,
            "radon.n_blocks": float(len(cc)),
            "radon.mi": float(mi),
            "radon.h_volume": float(halstead.volume),
            "radon.h_difficulty": float(halstead.difficulty),
            "radon.h_effort": float(halstead.effort),
            "radon.h_bugs": float(halstead.bugs),
            "radon.loc": float(raw.loc),
            "radon.lloc": float(raw.lloc),
            "radon.sloc": float(raw.sloc),
            "radon.comments": float(raw.comments),
            "radon.multi": float(raw.multi),
            "radon.blank": float(raw.blank),
        }
        return Extraction(features={k: finite_or_nan(v) for k, v in row.items()})
