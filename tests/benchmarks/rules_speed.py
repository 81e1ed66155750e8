"""Throughput of parse + all rules per unique candidate, batched pass vs one pass per rule.

    python -m tests.benchmarks.rules_speed [--corpus FILE] [--limit N]

Reads the CodeGen-16B samples from the shared corpora, sanitizes them once (not timed),
dedupes, then times on one core: parse only, parse + positions, parse + all rules in one
batched pass, and the baseline of one traversal per rule (on a subset).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path

from auditor.parse import parse
from auditor.rules import RULE_ERROR, RULES, SYNTAX_ERROR, UNANALYSABLE, Family, check_rules
from auditor.rules.base import RuleConfig
from auditor.rules.engine import run_rules
from auditor.sanitize import sanitize

DEFAULT = (
    Path(__file__).resolve().parents[3]
    / "shared/corpora/samples/humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz"
)
BENCH = (
    Path(__file__).resolve().parents[3] / "shared/corpora/benchmarks/HumanEvalPlus-v0.1.10.jsonl.gz"
)


def load(path: Path, limit: int) -> list[tuple[str, str]]:
    """Unique (sanitized code, entry point) pairs."""
    with gzip.open(BENCH, "rt", encoding="utf-8") as fh:
        entry = {r["task_id"]: r["entry_point"] for r in map(json.loads, fh)}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    seen: dict[str, str] = {}
    for row in rows:
        ep = entry.get(row["task_id"])
        code = sanitize(row["solution"], ep).code
        seen.setdefault(code, ep or "")
    return list(seen.items())[:limit]


def rate(label: str, items: list[tuple[str, str]], fn: Callable[[str, str], object]) -> float:
    start = time.process_time()
    for code, ep in items:
        fn(code, ep)
    per_s = len(items) / (time.process_time() - start)  # CPU time: the machine is shared
    print(f"{label:<34} {per_s:8.0f} candidates/s  ({len(items)} candidates)")
    return per_s


def one_pass_per_rule(code: str, ep: str) -> None:
    parsed = parse(code)
    for cls in RULES.values():
        if cls.FAMILY is Family.INTERNAL:
            continue
        run_rules(
            parsed,
            [cls],
            entry_point=ep,
            config=RuleConfig(),
            syntax_rule=SYNTAX_ERROR,
            error_rule=RULE_ERROR,
            limit_rule=UNANALYSABLE,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=3000)
    args = ap.parse_args()
    items = load(args.corpus, args.limit)
    rate("parse", items, lambda c, e: parse(c))
    rate("parse + positions", items, lambda c, e: parse(c).positions)
    batched = rate(
        "parse + all rules (batched)", items, lambda c, e: check_rules(parse(c), entry_point=e)
    )
    subset = items[: max(1, len(items) // 10)]
    naive = rate("parse + one pass per rule (base)", subset, one_pass_per_rule)
    print(f"batched / baseline speed ratio: {batched / naive:.1f}x")


if __name__ == "__main__":
    main()
