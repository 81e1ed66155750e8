"""Reporters: parse each format's output and assert its structure (no raw-string goldens)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from auditor.errors import UsageError
from auditor.output import OutputFormat, OutputSpec, parse_specs, render, sarif, write_outputs
from auditor.output import github as gh
from auditor.results import (
    RISK_CODE,
    CandidateResult,
    CheckRun,
    ExecutionInfo,
    ReportedFinding,
    RuleInfo,
)
from auditor.rules.catalogue import CHECK_RULES
from auditor.types import Confidence, Finding, Severity

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "tests/fixtures/schemas/sarif-2.1.0.json").read_text()
)


def _finding(code: str, line: int, sev: Severity = Severity.MEDIUM, col: int = 4) -> Finding:
    return Finding(
        code, f"sym-{code.lower()}", f"message for {code}", line, col, sev, Confidence.HIGH
    )


def make_run(n_extra: int = 0, embedded: bool = False) -> CheckRun:
    rules = (
        *CHECK_RULES,
        RuleInfo(
            "AUD301",
            "literal-lookup",
            "Lookup of test inputs",
            "What it does.",
            Severity.HIGH,
            True,
        ),
        RuleInfo("ruff:B006", "mutable-default", "ruff B006", "mutable default", Severity.LOW),
    )
    results = [
        CandidateResult(
            "pkg/safe.py",
            "safe",
            "pkg/safe.py",
            "a" * 64,
            0.12,
            3,
            (ReportedFinding(_finding("ruff:B006", 3, Severity.LOW), "def f(x=[]):"),),
            entry_text="def f(x=[]):",
        ),
        CandidateResult(
            "pkg/odd path,1.py",
            "odd",
            "pkg/odd path,1.py",
            "b" * 64,
            0.91,
            1,
            (
                ReportedFinding(_finding("AUD301", 2, Severity.HIGH), "return {1: 2}[x]"),
                ReportedFinding(_finding("AUD301", 5, Severity.HIGH), "return {1: 2}[x]"),
            ),
            embedded=embedded,
            entry_text="def g(x):",
        ),
        CandidateResult(
            "pkg/empty.py", "empty", "pkg/empty.py", "c" * 64, None, note="no function"
        ),
    ]
    results += [
        CandidateResult(
            f"pkg/m{i}.py",
            f"m{i}",
            f"pkg/m{i}.py",
            f"{i:064d}",
            None,
            1,
            (ReportedFinding(_finding("ruff:B006", 1, Severity.LOW), "x"),),
        )
        for i in range(n_extra)
    ]
    return CheckRun(
        tuple(results), rules, 0.5, Severity.HIGH, "test-model", "https://x.test/rules/"
    )


@pytest.mark.parametrize("embedded", [False, True])
def test_sarif_validates_against_official_schema(embedded: bool) -> None:
    doc = json.loads(sarif.render(make_run(embedded=embedded)))
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    assert doc["version"] == "2.1.0"


def test_sarif_structure() -> None:
    run = make_run()
    doc = json.loads(sarif.render(run))
    (srun,) = doc["runs"]
    rules = srun["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == [r.code for r in run.rules] and len(set(ids)) == len(ids)
    aud301 = rules[ids.index("AUD301")]
    assert aud301["helpUri"] == "https://x.test/rules/AUD301.md"
    assert {"shortDescription", "fullDescription", "help"} <= aud301.keys()
    assert "helpUri" not in rules[ids.index("ruff:B006")]  # no rules/ page for tool codes
    assert "SRCROOT" in srun["originalUriBaseIds"]
    results = srun["results"]
    for res in results:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "SRCROOT"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"]
    risks = [r for r in results if r["ruleId"] == RISK_CODE]
    assert [(r["properties"]["risk"], r["level"]) for r in risks] == [
        (0.12, "note"),
        (0.91, "error"),
    ]
    odd = [r for r in results if r["ruleId"] == "AUD301"]
    assert (
        odd[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "pkg/odd%20path%2C1.py"
    )
    assert odd[0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 5,
    }
    # identical (code, line text) in one file: distinct fingerprints by occurrence
    fps = [r["partialFingerprints"]["primaryLocationLineHash"] for r in odd]
    assert fps[0].split(":")[0] == fps[1].split(":")[0] and fps[0] != fps[1]


def test_sarif_fingerprint_survives_line_shift() -> None:
    assert sarif.line_hash("AUD301", "return x", 1) == sarif.line_hash("AUD301", "return x", 1)
    assert sarif.line_hash("AUD301", "return x", 1) != sarif.line_hash("AUD302", "return x", 1)


def _row(
    sid: str, sha: str, row: int, *found: Finding, risk: float | None = 0.7
) -> CandidateResult:
    """A candidate of task T in samples file s.jsonl whose lines all read `def f(x):`."""
    reported = tuple(ReportedFinding(f, "def f(x):") for f in found)
    return CandidateResult(
        "s.jsonl",
        "T",
        sid,
        sha * 64,
        risk,
        1,
        reported,
        embedded=True,
        row_line=row,
        entry_text="def f(x):",
    )


def test_sarif_tells_the_candidates_of_a_samples_file_apart() -> None:
    """Each result points at its candidate's row; fingerprints differ between candidates
    that share every line's text (and between identical ones, by occurrence); a finding's
    line inside the candidate is in its message."""
    fails = _finding("AUD001", 1, Severity.HIGH)
    results = (
        _row("0", "a", 2),
        _row("1", "b", 5),
        _row("2", "b", 9),  # the same code as sample 1
        _row("3", "c", 11, fails, risk=None),
        _row("4", "d", 12, fails, risk=None),
    )
    run = CheckRun(results, make_run().rules, 0.5, Severity.HIGH, "m")
    doc = json.loads(sarif.render(run))
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    res = doc["runs"][0]["results"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in res]
    assert lines == [2, 5, 9, 11, 12]
    fps = [r["partialFingerprints"]["primaryLocationLineHash"] for r in res]
    assert len(set(fps)) == len(fps)
    assert [r["message"]["text"] for r in res[3:]] == [
        f"sym-aud001: message for AUD001 [T/{sid}, line 1 of the candidate]" for sid in "34"
    ]
    assert res[3]["properties"]["rowLine"] == 11 and res[3]["properties"]["candidateLine"] == 1


def test_sarif_fingerprints_of_py_files_are_unchanged() -> None:
    assert sarif.line_hash("AUD301", "return x", 1) == "6eedce93ca4f0c88:1"


def test_json_lists_every_candidate() -> None:
    doc = json.loads(render(OutputFormat.JSON, make_run()).text)
    assert doc["schema"] == "auditor.check/1"
    cands = doc["candidates"]
    assert [c["task_id"] for c in cands] == ["safe", "odd", "empty"]
    assert [c["risk"] for c in cands] == [0.12, 0.91, None]
    assert [c["flagged"] for c in cands] == [False, True, False]
    assert [f["code"] for f in cands[1]["findings"]] == ["AUD301", "AUD301"]
    assert doc["summary"]["exit_code"] == 1 and doc["summary"]["flagged"] == 1


def test_text_riskiest_first() -> None:
    out = render(OutputFormat.TEXT, make_run()).text
    lines = out.splitlines()
    assert lines[0].startswith("pkg/odd path,1.py") and "FLAGGED" in lines[0]
    assert out.index("pkg/safe.py") > out.index("pkg/odd path,1.py")
    assert "1 at or over risk 0.50" in lines[-1]


def test_text_shows_control_characters_as_escapes() -> None:
    # Red team s21: a samples file's sample_id moved the terminal's cursor and erased lines.
    run = make_run()
    odd = replace(run.results[1], sample_id="a\x1b[1A\x1b[2K\r\u202eb\nc", embedded=True)
    lines = render(OutputFormat.TEXT, replace(run, results=(odd,))).text.splitlines()
    assert (
        lines[0] == "pkg/odd path,1.py [odd/a\\x1b[1A\\x1b[2K\\r\\u202eb\\nc]  risk 0.91  FLAGGED"
    )
    assert not any(c in "".join(lines) for c in "\x1b\r\u202e")


def test_markdown_table() -> None:
    out = render(OutputFormat.MARKDOWN, make_run()).text
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert rows[0].startswith("| `pkg/odd path,1.py` | 0.91 | yes |")
    assert len(rows) == 2  # the unscored candidate without findings is left out


def _sample(
    task: str, sid: str, risk: float | None, *found: Finding, execution: ExecutionInfo | None = None
) -> CandidateResult:
    reported = tuple(ReportedFinding(f) for f in found)
    return CandidateResult(
        "s.jsonl", task, sid, sid * 64, risk, findings=reported, embedded=True, execution=execution
    )


def test_picks_are_best_of_n_per_task_of_a_samples_file() -> None:
    """Lowest risk without a failing finding; no risk (failing the tests) and tamperers
    never picked; ties to the first, and said; a task with nothing scored has no pick."""
    tampered = ExecutionInfo("pass", "reference", ("weak-tests",), tampered=("clock",))
    results = (
        _sample("A", "0", 0.3),
        _sample("A", "1", 0.1, _finding("AUD301", 2, Severity.HIGH)),
        _sample("A", "2", None, _finding("AUD001", 1, Severity.HIGH)),
        _sample("A", "3", 0.05, execution=tampered),
        _sample("A", "4", 0.3),
        replace(_sample("A", "5", 0.3), sha256="0" * 64),  # a copy of sample 0's code
        _sample("B", "0", None, _finding("AUD001", 1, Severity.HIGH)),
        _sample("C", "0", 0.7, _finding("AUD301", 2, Severity.HIGH)),
        _sample("C", "1", 0.6, _finding("AUD301", 2, Severity.HIGH)),
        *make_run().results,  # .py files: not a task of a samples file
    )
    run = CheckRun(results, make_run().rules, 0.5, Severity.HIGH, "m")
    picks = {p.task_id: (p.result and p.result.sample_id, p.among) for p in run.picks()}
    assert picks == {"A": ("0", 4), "B": (None, 0), "C": ("1", 2)}
    doc = json.loads(render(OutputFormat.JSON, run).text)
    assert [
        (p["task_id"], p["sample_id"], p["risk"], p["flagged"], p["tied"]) for p in doc["picks"]
    ] == [
        ("A", "0", 0.3, False, 1),  # sample 4 (other code) ties; 5 is 0's code again
        ("B", None, None, False, 0),
        ("C", "1", 0.6, True, 0),
    ]
    text = render(OutputFormat.TEXT, run).text
    tie = ", tied with 1 other (the first in the file is submitted)"
    assert f"  A: sample 0, risk 0.30, lowest of 4 scored{tie}" in text.splitlines()
    assert "  B: nothing to submit" in text
    unverified = ExecutionInfo(None, "none", ("static",))
    lone = CheckRun((_sample("D", "0", 0.2, execution=unverified),), run.rules, 0.5, None, "m")
    assert "not verified by the weak tests" in render(OutputFormat.TEXT, lone).text
    assert json.loads(render(OutputFormat.JSON, lone).text)["picks"][0]["verdict"] is None
    md = render(OutputFormat.MARKDOWN, run).text
    assert "| `C` | sample 1, risk 0.60, lowest of 2 scored |" in md.splitlines()
    summary = render(OutputFormat.GITHUB, run).step_summary or ""  # the job summary too (QA s24)
    assert md[md.index("## Best of n") :] in summary
    assert json.loads(render(OutputFormat.JSON, make_run()).text)["picks"] == []
    assert "best of n" not in render(OutputFormat.TEXT, make_run()).text


def test_no_picks_without_a_model() -> None:
    """With --no-model nothing is ranked, so there is no best-of-n pick: the text must not
    say every candidate "failed or was unreadable" when they simply were not scored."""
    results = (_sample("A", "0", None), _sample("A", "1", None))
    run = CheckRun(results, make_run().rules, 0.5, Severity.HIGH, None)
    assert run.picks() == ()
    assert "best of n" not in render(OutputFormat.TEXT, run).text
    assert "failed or were unreadable" not in render(OutputFormat.MARKDOWN, run).text
    assert json.loads(render(OutputFormat.JSON, run).text)["picks"] == []


def test_github_caps_annotations_and_summarizes_rest() -> None:
    run = make_run(n_extra=15)
    rendered = render(OutputFormat.GITHUB, run)
    cmds = [line for line in rendered.text.splitlines() if line.startswith("::")]
    assert len(cmds) == gh.MAX_ANNOTATIONS
    # the flagged risk and the high-severity findings come first
    assert cmds[0].startswith("::error file=pkg/odd path%2C1.py,line=1,")
    assert "False-positive risk 0.91" in cmds[0]
    total = len(gh.collect(run))
    assert total == 1 + 3 + 15
    assert rendered.step_summary is not None
    table = [line for line in rendered.step_summary.splitlines() if line.startswith("| `")]
    assert len(table) == total - gh.MAX_ANNOTATIONS


def test_github_annotates_every_failing_rule_of_a_samples_file_first() -> None:
    """Trial: 32 flagged risks took the 10 annotations and none of 17 weak-test failures
    (AUD001, high) got one. Failing items come first, rules of one severity take turns,
    infos come last, each at its candidate's row; the rest is counted by severity."""
    fails = _finding("AUD001", 1, Severity.HIGH)
    info = _finding("AUD105", 3, Severity.INFO)
    flagged = [_row(str(i), "a", 10 + i, info, risk=0.9 - i / 100) for i in range(15)]
    failing = [_row(str(20 + i), "b", 30 + i, fails, risk=None) for i in range(5)]
    run = CheckRun((*flagged, *failing), make_run().rules, 0.5, Severity.HIGH, "m")
    rendered = render(OutputFormat.GITHUB, run)
    cmds = [line for line in rendered.text.splitlines() if line.startswith("::")]
    assert len(cmds) == gh.MAX_ANNOTATIONS and all(c.startswith("::error ") for c in cmds)
    titles = [c.split("title=")[1].split("::")[0] for c in cmds]
    assert (
        titles.count("AUD001 sym-aud001") == 5 and titles.count("AUD000 false-positive-risk") == 5
    )
    assert "False-positive risk 0.90" in cmds[0]  # the highest risk first
    first_fail = next(c for c in cmds if "AUD001" in c)
    assert first_fail.startswith("::error file=s.jsonl,line=30,col=1,")
    assert first_fail.endswith("::message for AUD001 [T/20, line 1 of the candidate]")
    tail = rendered.text.splitlines()[-1]
    assert "25 item(s) not annotated" in tail and "10 flagged risk(s), 15 info" in tail
    assert rendered.step_summary is not None
    assert "10 flagged risk(s), 15 info" in rendered.step_summary


def test_github_escapes() -> None:
    assert gh._escape_data("a%b\nc") == "a%25b%0Ac"
    assert gh._escape_prop("a:b,c") == "a%3Ab%2Cc"


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders_deterministically(fmt: OutputFormat) -> None:
    assert render(fmt, make_run()) == render(fmt, make_run())
    assert render(fmt, make_run()).text.endswith("\n")


def test_output_specs() -> None:
    specs = parse_specs(["sarif:out/a.sarif", "github"])
    assert specs == (
        OutputSpec(OutputFormat.SARIF, Path("out/a.sarif")),
        OutputSpec(OutputFormat.GITHUB),
    )
    assert parse_specs([]) == (OutputSpec(OutputFormat.TEXT),)
    with pytest.raises(UsageError, match="unknown output format"):
        OutputSpec.parse("yaml")
    with pytest.raises(UsageError, match="only one"):
        parse_specs(["json", "text"])
    with pytest.raises(UsageError, match="missing file"):
        OutputSpec.parse("sarif:")
    # Two outputs to one file: the second would silently overwrite the first.
    with pytest.raises(UsageError, match=r"o\.json: two --format outputs"):
        parse_specs(["json:o.json", "sarif:./o.json"])


def test_write_outputs_files_and_step_summary(tmp_path: Path) -> None:
    import io

    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    stdout = io.StringIO()
    specs = parse_specs([f"sarif:{tmp_path / 'o.sarif'}", "github"])
    write_outputs(specs, make_run(), stdout=stdout, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert json.loads((tmp_path / "o.sarif").read_text())["version"] == "2.1.0"
    assert stdout.getvalue().startswith("::error")
    assert summary.read_text().startswith("before\n## auditor check")
    assert not list(tmp_path.glob(".*.tmp"))


def test_unwritable_step_summary_is_one_line_exit_2(tmp_path: Path) -> None:
    """$GITHUB_STEP_SUMMARY naming a directory or a missing one (a stale variable outside
    Actions) is an output error naming the file, as any other, not an internal error."""
    import io

    from auditor.errors import InputError

    for where in (tmp_path, tmp_path / "missing" / "summary.md"):
        with pytest.raises(InputError, match="cannot write GITHUB_STEP_SUMMARY"):
            write_outputs(
                parse_specs(["github"]), make_run(), stdout=io.StringIO(),
                env={"GITHUB_STEP_SUMMARY": str(where)},
            )  # fmt: skip
