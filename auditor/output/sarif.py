"""SARIF 2.1.0 report, as GitHub code scanning reads it.

Repo-relative URIs under the `SRCROOT` base id, one reportingDescriptor per rule with a
help link to its `rules/<CODE>.md` page, `ruleId` + `ruleIndex` + a region on each result,
`partialFingerprints.primaryLocationLineHash` from (code, normalized line text, occurrence),
and the false-positive risk as a result of rule AUD000 with the probability in properties.
A candidate of a samples file is located at its row of the file; its fingerprints also
hash its task id and code, and a finding's line inside it is in the message.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from auditor.output.text import where_in_samples
from auditor.results import RISK_CODE
from auditor.types import Severity

if TYPE_CHECKING:
    from auditor.results import CandidateResult, CheckRun, RuleInfo
    from auditor.types import Finding

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
BASE_ID = "SRCROOT"
LEVELS = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def _descriptor(rule: RuleInfo, rules_url: str) -> dict[str, Any]:
    help_text = f"{rule.full}\n\nSee rules/{rule.code}.md." if rule.documented else rule.full
    d: dict[str, Any] = {
        "id": rule.code,
        "name": rule.symbol,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "help": {"text": help_text, **({"markdown": rule.page} if rule.page else {})},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"severity": rule.severity.value},
    }
    if rule.documented and rules_url:
        d["helpUri"] = f"{rules_url}{rule.code}.md"
    return d


def line_hash(
    code: str, line_text: str, occurrence: int, identity: tuple[str, str] = ("", "")
) -> str:
    """A location-independent fingerprint: stable when lines move. `identity` (task id,
    code hash) tells apart the candidates of a samples file, whose lines (the task's `def`
    line, a test's failure at line 1) are shared; a .py file's is empty and left out."""
    parts = (code, line_text, *identity) if any(identity) else (code, line_text)
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{digest[:16]}:{occurrence}"


def _location(r: CandidateResult, line: int, col: int) -> dict[str, Any]:
    # A samples file's candidate is at its row; lines inside it are not lines of the file
    # (they are in the message and properties instead).
    if r.embedded:
        start_line, start_col = r.row_line or 1, 1
    else:
        start_line, start_col = max(1, line), max(1, col + 1)
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(r.path), "uriBaseId": BASE_ID},
            "region": {"startLine": start_line, "startColumn": start_col},
        }
    }
    if r.embedded:
        loc["logicalLocations"] = [
            {"fullyQualifiedName": f"{r.task_id}/{r.sample_id}", "kind": "function"}
        ]
    return loc


def _props(r: CandidateResult, line: int) -> dict[str, Any]:
    props: dict[str, Any] = {"taskId": r.task_id, "sampleId": r.sample_id, "sha256": r.sha256}
    if r.embedded:
        props["candidateLine"] = line
        if r.row_line is not None:
            props["rowLine"] = r.row_line
    return props


def _results(run: CheckRun, index: dict[str, int]) -> list[dict[str, Any]]:
    seen: Counter[tuple[str, tuple[str, str], str, str]] = Counter()
    out: list[dict[str, Any]] = []

    def fingerprint(r: CandidateResult, code: str, text: str) -> dict[str, str]:
        # Identical results in one file (or one candidate) differ by occurrence.
        key = (r.path, r.identity, code, text)
        seen[key] += 1
        return {"primaryLocationLineHash": line_hash(code, text, seen[key], r.identity)}

    for r in run.results:
        if r.risk is not None:
            flagged = run.flagged(r)
            props = _props(r, r.entry_line) | {
                "risk": round(r.risk, 6),
                "threshold": run.fail_on_risk,
                "flagged": flagged,
            }
            out.append(
                {
                    "ruleId": RISK_CODE,
                    "ruleIndex": index[RISK_CODE],
                    "level": "error" if flagged else "note",
                    "message": {
                        "text": f"False-positive risk {r.risk:.2f} "
                        f"(threshold {run.fail_on_risk:.2f}) for {r.task_id}/{r.sample_id}"
                    },
                    "locations": [_location(r, r.entry_line, 0)],
                    "partialFingerprints": fingerprint(r, RISK_CODE, r.entry_text),
                    "properties": props,
                }
            )
        for rep in r.findings:
            f: Finding = rep.finding
            out.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index[f.code],
                    "level": LEVELS[f.severity],
                    "message": {"text": f"{f.symbol}: {f.message}{where_in_samples(r, f.line)}"},
                    "locations": [_location(r, f.line, f.col)],
                    "partialFingerprints": fingerprint(r, f.code, rep.line_text),
                    "properties": _props(r, f.line)
                    | {"confidence": f.confidence.value, "source": f.source},
                }
            )
    return out


def to_dict(run: CheckRun) -> dict[str, Any]:
    """The SARIF log as a dict."""
    index = {rule.code: i for i, rule in enumerate(run.rules)}
    driver: dict[str, Any] = {
        "name": "auditor",
        "version": run.version,
        "rules": [_descriptor(rule, run.rules_url) for rule in run.rules],
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {
                    BASE_ID: {"description": {"text": "The directory auditor check ran in."}}
                },
                "results": _results(run, index),
                "properties": {
                    "model": run.model,
                    "failOnRisk": run.fail_on_risk,
                    "failOn": None if run.fail_on is None else run.fail_on.value,
                    "baselined": run.baselined,
                },
            }
        ],
    }


def render(run: CheckRun) -> str:
    return json.dumps(to_dict(run), indent=2, ensure_ascii=False) + "\n"
