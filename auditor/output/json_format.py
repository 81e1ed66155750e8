"""JSON report: every candidate with its risk and findings, under a schema version."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.results import CandidateResult, CheckRun, ExecutionInfo, Pick
    from auditor.types import Finding

SCHEMA = "auditor.check/1"


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "symbol": f.symbol,
        "message": f.message,
        "line": f.line,
        "col": f.col,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "source": f.source,
    }


def _candidate(run: CheckRun, r: CandidateResult) -> dict[str, Any]:
    return {
        "path": r.path,
        "task_id": r.task_id,
        "sample_id": r.sample_id,
        "sha256": r.sha256,
        "risk": None if r.risk is None else round(r.risk, 6),
        "flagged": run.flagged(r),
        "risk_baselined": r.risk_baselined,
        "entry_line": r.entry_line,
        "row_line": r.row_line,
        "note": r.note,
        "extracted": list(r.extracted),
        "findings": [_finding(x.finding) for x in r.findings],
        "execution": None if r.execution is None else _execution(r.execution),
    }


def _execution(e: ExecutionInfo) -> dict[str, Any]:
    return {
        "verdict": e.verdict,
        "weak_tests": e.weak_tests,
        "function": e.function or None,
        "unjudged": e.unjudged,
        "signals": list(e.signals),
        "static_risk": None if e.static_risk is None else round(e.static_risk, 6),
        "execution_risk": None if e.execution_risk is None else round(e.execution_risk, 6),
        "tampered": list(e.tampered),
        "features": {k: round(v, 6) for k, v in e.features},
    }


def _pick(run: CheckRun, p: Pick) -> dict[str, Any]:
    r = p.result
    return {
        "task_id": p.task_id,
        "sample_id": None if r is None else r.sample_id,
        "path": None if r is None else r.path,
        "risk": None if r is None or r.risk is None else round(r.risk, 6),
        "flagged": r is not None and run.flagged(r),
        "verdict": None if r is None or r.execution is None else r.execution.verdict,
        "among": p.among,
        "tied": p.tied,
    }


def to_dict(run: CheckRun) -> dict[str, Any]:
    """The JSON document as a dict (candidates in input order)."""
    return {
        "schema": SCHEMA,
        "version": run.version,
        "model": run.model,
        "thresholds": {
            "fail_on_risk": run.fail_on_risk,
            "fail_on": None if run.fail_on is None else run.fail_on.value,
            "fail_on_unverified": run.fail_on_unverified,
        },
        "summary": {
            "candidates": len(run.results),
            "scored": sum(1 for r in run.results if r.risk is not None),
            "flagged": run.n_flagged,
            "findings": sum(len(r.findings) for r in run.results),
            "failing_findings": run.n_failing_findings,
            "unverified": run.n_unverified,
            "baselined": run.baselined,
            "exit_code": run.exit_code,
        },
        "candidates": [_candidate(run, r) for r in run.results],
        "picks": [_pick(run, p) for p in run.picks()],
    }


def render(run: CheckRun) -> str:
    return json.dumps(to_dict(run), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
