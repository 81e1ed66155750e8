"""`auditor check` end to end: CLI output structures, exit codes, baseline, bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from auditor import features
from auditor import model as M
from auditor.cli import cli, main

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = json.loads((REPO / "tests/fixtures/schemas/sarif-2.1.0.json").read_text())

CLEAN = '''def running_total(values):
    """Return the running totals of `values`."""
    out, total = [], 0
    for value in values:
        total += value
        out.append(total)
    return out
'''
GAMED = '''def count_primes(limit):
    """Count the primes below `limit`."""
    return {10: 4, 20: 8, 100: 25}[limit]
'''


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model for the current feature schema, fitted on synthetic rows (fast)."""
    cols = features.columns()
    rng = np.random.default_rng(0)
    n_tasks, per = 12, 10
    X = rng.poisson(1.0, size=(n_tasks * per, len(cols))).astype(float)
    y = (X[:, cols.index("rules.AUD3xx")] + rng.normal(0, 0.5, len(X)) > 1.5).astype(int)
    groups = np.repeat([f"s:T{i}" for i in range(n_tasks)], per).astype(object)
    data = M.TrainingData(
        cols,
        X,
        y,
        groups,
        np.array(["s"] * len(X), dtype=object),
        features.SCHEMA_VERSION,
        features.schema_hash(),
        features.tool_versions(),
    )
    trained = M.fit(
        data,
        corpora=[{"name": "synthetic", "sha256": "0" * 64, "n": len(y), "fp": int(y.sum())}],
        families=("logreg",),
        cv=False,
        inner=2,
    )
    path = tmp_path_factory.mktemp("model") / "tiny.skops"
    M.save_model(trained, path)
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with a clean and a gamed candidate, as the cwd."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "clean.py").write_text(CLEAN)
    (tmp_path / "src" / "gamed.py").write_text(GAMED)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def run_json(*args: str) -> tuple[int, dict]:
    code, out = invoke(*args, "--format", "json")
    return code, json.loads(out)


def test_json_lists_every_candidate_with_risk(project: Path, tiny_model: Path) -> None:
    code, doc = run_json("src", "--model", str(tiny_model), "--fail-on-risk", "1.0")
    assert doc["schema"] == "auditor.check/1"
    cands = {c["path"]: c for c in doc["candidates"]}
    assert set(cands) == {"src/clean.py", "src/gamed.py"}
    for c in cands.values():
        assert {"task_id", "sample_id", "risk", "findings"} <= c.keys()
        assert 0.0 <= c["risk"] <= 1.0
    assert cands["src/gamed.py"]["task_id"] == "gamed"
    gamed = [(f["code"], f["line"]) for f in cands["src/gamed.py"]["findings"]]
    assert ("AUD302", 3) in gamed
    assert code == 1  # AUD302 is high severity


def test_sarif_and_github_from_one_run(
    project: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = invoke(
        "src",
        "--model",
        str(tiny_model),
        "--format",
        "sarif:out/a.sarif",
        "--format",
        "github",
        "--rules-url",
        "https://example.test/auditor/blob/v1/rules",
    )
    doc = json.loads((project / "out" / "a.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    (run,) = doc["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "AUD000" in rule_ids and "AUD302" in rule_ids
    aud302 = run["tool"]["driver"]["rules"][rule_ids.index("AUD302")]
    assert aud302["helpUri"] == "https://example.test/auditor/blob/v1/rules/AUD302.md"
    assert aud302["help"]["markdown"].startswith("# AUD302: ")  # the rule's page
    aud000 = run["tool"]["driver"]["rules"][rule_ids.index("AUD000")]
    assert aud000["help"]["markdown"].startswith("# AUD000: false-positive-risk")
    risks = [r for r in run["results"] if r["ruleId"] == "AUD000"]
    assert len(risks) == 2 and all(0 <= r["properties"]["risk"] <= 1 for r in risks)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {"src/clean.py", "src/gamed.py"}
    assert any(line.startswith("::error file=src/gamed.py,line=3,") for line in out.splitlines())
    assert summary.read_text().startswith("## auditor check")
    assert code == 1


def test_exit_codes(project: Path) -> None:
    assert invoke("src/clean.py", "--no-model")[0] == 0
    assert invoke("src/gamed.py", "--no-model")[0] == 1
    assert invoke("src/gamed.py", "--no-model", "--exit-zero")[0] == 0
    assert invoke("src/gamed.py", "--no-model", "--fail-on", "none")[0] == 0


def test_an_empty_folder_passes_with_a_warning(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gate on a folder a failed generation step left empty says nothing was checked."""
    (project / "empty").mkdir()
    assert main(["check", "empty", "--no-model"]) == 0
    err = capsys.readouterr().err
    assert err == "auditor: warning: no candidates found: nothing was checked\n"
    assert main(["check", "src/clean.py", "--no-model"]) == 0
    assert "no candidates" not in capsys.readouterr().err


def test_an_ignored_code_no_rule_has_is_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in --ignore silences nothing: one warning names it; prefixes of real codes
    and other tools' codes pass quietly."""
    assert main(["check", "src/gamed.py", "--no-model", "--ignore", "AUD3O2"]) == 1
    assert capsys.readouterr().err == "auditor: warning: ignore: no rule has the code AUD3O2\n"
    for fine in ("AUD302", "AUD3", "ruff:E501", "C0103"):
        main(["check", "src/gamed.py", "--no-model", "--ignore", fine])
        assert "warning" not in capsys.readouterr().err


def test_risk_threshold_fails_the_run(project: Path, tiny_model: Path) -> None:
    code, doc = run_json("src/clean.py", "--model", str(tiny_model), "--fail-on-risk", "0.0")
    assert doc["candidates"][0]["flagged"] and code == 1
    code, doc = run_json("src/clean.py", "--model", str(tiny_model), "--fail-on-risk", "1.0")
    assert not doc["candidates"][0]["flagged"] and code == 0


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("auditor: error: ")
    return err


def test_missing_path_is_one_line_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no such file" in _one_line_error(capsys, ["check", "nope.py", "--no-model"])


def test_symlink_loop_given_explicitly(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.symlink("loop.py", project / "loop.py")
    assert "symlink loop" in _one_line_error(capsys, ["check", "loop.py", "--no-model"])


def test_non_python_file_given_explicitly(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "notes.txt").write_text("hello")
    assert "not a Python file" in _one_line_error(capsys, ["check", "notes.txt", "--no-model"])


@pytest.mark.parametrize("content", [b"", b"not a model", b"PK\x03\x04\x14\x00junk"])
def test_corrupt_model_is_one_line_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    (project / "bad.skops").write_bytes(content)
    err = _one_line_error(capsys, ["check", "src", "--model", "bad.skops"])
    assert "bad.skops" in err


def test_mismatched_model_is_one_line_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = M.TrainingData(
        ("rules.x", "ruff.y"),
        np.array([[0.0, 1], [1, 0], [0, 0], [1, 1]] * 5),
        np.array([0, 1, 0, 1] * 5),
        np.repeat(["a", "b", "c", "d"], 5).astype(object),
        np.array(["c"] * 20, dtype=object),
        "old/0",
        "0123456789abcdef",
        {},
    )
    M.save_model(M.fit(data, families=("logreg",), cv=False, inner=2), project / "old.skops")
    assert "feature schema" in _one_line_error(capsys, ["check", "src", "--model", "old.skops"])


def test_bad_config_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.auditor]\nfail-on-risk = 0.3\ncolour = 'red'\n")
    assert "unknown key 'colour'" in _one_line_error(capsys, ["check", "src", "--no-model"])


def test_config_then_flags(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.auditor]\nfail-on = "none"\nignore = ["AUD105"]\n'
    )
    code, doc = run_json("src", "--no-model")
    assert code == 0 and doc["thresholds"]["fail_on"] is None
    assert invoke("src", "--no-model", "--fail-on", "high")[0] == 1

    def codes(doc: dict) -> set[str]:
        return {f["code"] for c in doc["candidates"] for f in c["findings"]}

    found = codes(doc)
    assert found and "AUD105" not in found
    extra = sorted(found)[0]
    # --ignore adds to the configured list (AUD105 stays ignored)
    assert codes(run_json("src", "--no-model", "--ignore", extra)[1]) == found - {extra}


def bad_inputs(root: Path) -> dict[str, str]:
    """Write every kind of bad input; return file -> expected finding code (or '')."""
    d = root / "bad"
    d.mkdir()
    (d / "binary.py").write_bytes(b"\x00\x01\x02def f(): pass\n")
    (d / "latin1.py").write_bytes("def f():\n    return 'caf\xe9'\n".encode("latin-1"))
    (d / "empty.py").write_text("")
    (d / "syntax.py").write_text("def f(:\n    return 1\n")
    with open(d / "huge.py", "wb") as fh:  # sparse: 10 MB without writing 10 MB
        fh.truncate(10 * 1024 * 1024)
    os.symlink("loop.py", d / "loop.py")  # a symlink in a directory: not followed
    (d / "README.md").write_text("not python")
    (d / ".hidden").mkdir()
    (d / ".hidden" / "skipped.py").write_text("def f():\n    return 1\n")
    return {
        "bad/binary.py": "AUD911",
        "bad/latin1.py": "AUD911",
        "bad/empty.py": "",
        "bad/syntax.py": "AUD901",
        "bad/huge.py": "AUD910",
    }


def test_bad_inputs_become_findings(project: Path, tiny_model: Path) -> None:
    expected = bad_inputs(project)
    code, doc = run_json("bad", "--model", str(tiny_model), "--fail-on-risk", "1.0")
    got = {c["path"]: c for c in doc["candidates"]}
    assert set(got) == set(expected)  # README.md, hidden dirs and symlinks skipped
    for path, want in expected.items():
        codes = [f["code"] for f in got[path]["findings"]]
        if want:
            assert want in codes, (path, codes)
        else:
            assert codes == []
        assert got[path]["risk"] is None  # nothing to score
    assert got["bad/syntax.py"]["findings"][0]["line"] == 1
    assert code == 1


def test_suppressions_ignored_unless_honored(project: Path) -> None:
    (project / "src" / "gamed.py").write_text(GAMED.replace("[limit]\n", "[limit]  # noqa\n"))
    codes = [
        f["code"] for f in run_json("src/gamed.py", "--no-model")[1]["candidates"][0]["findings"]
    ]
    assert "AUD302" in codes
    doc = run_json("src/gamed.py", "--no-model", "--honor-suppressions")[1]
    assert "AUD302" not in [f["code"] for f in doc["candidates"][0]["findings"]]


def test_baseline_round_trip(project: Path, tiny_model: Path) -> None:
    code, _ = invoke("src", "--no-model", "--write-baseline", "baseline.json")
    assert code == 1
    rows = json.loads((project / "baseline.json").read_text())["findings"]
    assert ("src/gamed.py", "AUD302") in {(r["path"], r["code"]) for r in rows}
    code, doc = run_json("src", "--no-model", "--baseline", "baseline.json")
    assert (
        code == 0 and doc["summary"]["findings"] == 0 and doc["summary"]["baselined"] == len(rows)
    )
    # a line shift does not resurrect the finding; a new finding does fail
    gamed = project / "src" / "gamed.py"
    gamed.write_text(
        "\n\n" + GAMED + "\n\ndef g(x):\n    return {'one two': 1, 'three four': 2}[x]\n"
    )
    code, doc = run_json("src", "--no-model", "--baseline", "baseline.json")
    new = [(f["code"], f["line"]) for c in doc["candidates"] for f in c["findings"]]
    assert code == 1 and ("AUD302", 9) in new and ("AUD302", 5) not in new


def test_baseline_paths_are_relative_to_the_baseline_file(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A baseline written by `check src` matches `check .` from src/ and an absolute path
    from another directory: its paths are the files' paths from its own directory."""
    assert invoke("src", "--no-model", "--write-baseline", "ci/baseline.json")[0] == 1
    baseline = project / "ci" / "baseline.json"
    rows = json.loads(baseline.read_text())["findings"]
    assert ("../src/gamed.py", "AUD302") in {(r["path"], r["code"]) for r in rows}
    monkeypatch.chdir(project / "src")
    code, doc = run_json(".", "--no-model", "--baseline", "../ci/baseline.json")
    assert code == 0 and doc["summary"]["baselined"] == len(rows)
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    code, doc = run_json(str(project / "src"), "--no-model", "--baseline", str(baseline))
    assert code == 0 and doc["summary"]["baselined"] == len(rows)


def test_the_api_keys_a_baseline_by_the_run_s_cwd(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check(..., cwd=project)` from another directory: its shown paths are relative to
    `project`, and a baseline written and applied from the run resolves them there."""
    from auditor.baseline import Baseline
    from auditor.check import check
    from auditor.config import Config

    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    run = check([project / "src"], model=None, config=Config(), cwd=project)
    assert {r.path for r in run.results} >= {"src/gamed.py"}
    baseline = Baseline.from_json(
        Baseline.from_run(run, project / "ci").to_json(), root=project / "ci"
    )
    assert ("../src/gamed.py", "AUD302") in {(k.path, k.code) for k, _n in baseline.entries}
    applied = baseline.apply(run)
    assert applied.baselined > 0 and not any(r.findings for r in applied.results)


def test_a_schema_1_baseline_still_matches_paths_as_shown(project: Path) -> None:
    """Baselines written before paths were relative to the file keep working as they did."""
    invoke("src", "--no-model", "--write-baseline", "ci/baseline.json")
    doc = json.loads((project / "ci" / "baseline.json").read_text())
    for row in doc["findings"]:
        row["path"] = row["path"].removeprefix("../")  # as `check src` showed it
    old = {"schema": "auditor.baseline/1", "findings": doc["findings"]}
    (project / "ci" / "baseline.json").write_text(json.dumps(old))
    code, got = run_json("src", "--no-model", "--baseline", "ci/baseline.json")
    assert code == 0 and got["summary"]["baselined"] == len(old["findings"])


PRIMES = GAMED.replace(
    "{10: 4, 20: 8, 100: 25}[limit]",
    "sum(all(n % d for d in range(2, n)) for n in range(2, limit))",
)


def _samples(project: Path, *solutions: str) -> None:
    rows = [{"task_id": "Demo/1", "solution": s} for s in solutions]
    (project / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_baseline_accepts_the_candidates_of_a_samples_file_by_content(
    project: Path, tiny_model: Path
) -> None:
    """Every candidate of a task shares its `def` line (and often its finding lines): a
    baseline accepts the candidates it was written for, by task id and code hash, wherever
    their rows moved, and never a new candidate that lands in the same file."""
    _samples(project, PRIMES, GAMED)
    args = ("samples.jsonl", "--model", str(tiny_model), "--fail-on-risk", "0.0")
    assert invoke(*args, "--write-baseline", "b.json")[0] == 1
    code, doc = run_json(*args, "--baseline", "b.json")
    assert code == 0 and doc["summary"]["flagged"] == 0
    # regenerated: the gamed candidate replaced by another (same `def` and AUD302 lines)
    other = GAMED.replace("Count the primes", "Count primes")
    _samples(project, other, PRIMES)
    code, doc = run_json(*args, "--baseline", "b.json")
    new, moved = doc["candidates"]
    assert new["flagged"] and "AUD302" in [f["code"] for f in new["findings"]]
    assert moved["risk_baselined"] and not moved["flagged"]
    assert code == 1


def test_a_baseline_accepts_a_py_file_s_risk_for_its_code_only(
    project: Path, tiny_model: Path
) -> None:
    """A flagged function accepted once stays accepted through a line shift of its findings,
    but not once its body changes: the risk was its code's (red team s21)."""
    args = ("src/gamed.py", "--model", str(tiny_model), "--fail-on-risk", "0.0")
    assert invoke(*args, "--write-baseline", "b.json")[0] == 1
    rows = json.loads((project / "b.json").read_text())["findings"]
    risk = next(r for r in rows if r["code"] == "AUD000")
    assert risk["sha256"] and risk["task_id"] == ""
    code, doc = run_json(*args, "--baseline", "b.json")
    assert code == 0 and doc["candidates"][0]["risk_baselined"]
    gamed = project / "src" / "gamed.py"
    gamed.write_text(GAMED.replace("Count the primes", "Count primes"))  # the code changes
    code, doc = run_json(*args, "--baseline", "b.json")
    got = doc["candidates"][0]
    assert code == 1 and got["flagged"] and not got["risk_baselined"]
    assert "AUD302" not in [f["code"] for f in got["findings"]]  # its lines did not change
    # a schema-3 baseline keyed the risk by the `def` line alone: that entry matches nothing
    old = [{k: v for k, v in r.items() if r["code"] != "AUD000" or k not in ("sha256", "task_id")}
           for r in rows]  # fmt: skip
    gamed.write_text(GAMED)
    (project / "b.json").write_text(json.dumps({"schema": "auditor.baseline/3", "findings": old}))
    code, doc = run_json(*args, "--baseline", "b.json")
    assert code == 1 and not doc["candidates"][0]["risk_baselined"]


def test_an_old_baseline_no_longer_accepts_samples_candidates(project: Path) -> None:
    """A schema-2 baseline keyed a samples file's candidates by line text, which any other
    candidate of the task matches: those entries match nothing now; a .py file's still do."""
    _samples(project, GAMED)
    assert invoke("src", "samples.jsonl", "--no-model", "--write-baseline", "b.json")[0] == 1
    doc = json.loads((project / "b.json").read_text())
    rows = [{k: row[k] for k in ("path", "code", "line_text", "count")} for row in doc["findings"]]
    old = {"schema": "auditor.baseline/2", "findings": rows}
    (project / "b.json").write_text(json.dumps(old))
    code, got = run_json("src", "samples.jsonl", "--no-model", "--baseline", "b.json")
    found = {c["path"]: [f["code"] for f in c["findings"]] for c in got["candidates"]}
    assert found["src/gamed.py"] == [] and "AUD302" in found["samples.jsonl"]
    assert code == 1


def test_samples_jsonl_scored_per_candidate(project: Path, tiny_model: Path) -> None:
    rows = [
        {"task_id": "Demo/0", "solution": CLEAN},
        {"task_id": "Demo/0", "solution": GAMED.replace("count_primes", "running_total")},
        {"task_id": "Demo/1", "solution": GAMED},
    ]
    # a blank line: rows are known by their line in the file, not their position
    lines = [json.dumps(rows[0]), "", *(json.dumps(r) for r in rows[1:])]
    (project / "samples.jsonl").write_text("\n".join(lines) + "\n")
    _, doc = run_json("samples.jsonl", "--model", str(tiny_model))
    cands = doc["candidates"]
    assert [c["task_id"] for c in cands] == ["Demo/0", "Demo/0", "Demo/1"]
    assert [c["row_line"] for c in cands] == [1, 3, 4]
    assert len({c["sample_id"] for c in cands[:2]}) == 2
    assert all(c["path"] == "samples.jsonl" and 0 <= c["risk"] <= 1 for c in cands)
    sarif = json.loads(invoke("samples.jsonl", "--model", str(tiny_model), "--format", "sarif")[1])
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)


def test_chat_answers_are_scored_on_raw_lines(project: Path, tiny_model: Path) -> None:
    """Markdown answers are extracted, scored, and their findings point into the answer."""
    prose = "Here is a solution that special-cases the tests:\n\n"
    wrapped = f"{prose}```python\n{GAMED}```\n\nIt returns the expected values.\n"
    rows = [
        {"task_id": "Demo/1", "solution": GAMED},
        {"task_id": "Demo/1", "solution": wrapped},
        {"task_id": "Demo/1", "solution": "Sorry, I cannot write that function."},
    ]
    (project / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, doc = run_json("samples.jsonl", "--model", str(tiny_model))
    plain, chat, empty = doc["candidates"]
    assert plain["extracted"] == [] and chat["extracted"] == ["lines 4-6: fenced code (python)"]
    assert chat["risk"] is not None and chat["risk"] == pytest.approx(plain["risk"])
    shift = prose.count("\n") + 1  # the prose lines and the fence line
    assert chat["entry_line"] == plain["entry_line"] + shift
    assert [(f["code"], f["line"] - shift) for f in chat["findings"]] == [
        (f["code"], f["line"]) for f in plain["findings"]
    ]
    assert empty["risk"] is None and empty["note"] == "no code in the answer"
    # Trial 11: the finding says why there is no program, not what the parser says of prose.
    assert [(f["code"], f["message"]) for f in empty["findings"]] == [
        ("AUD901", "no program: no code in the answer")
    ]


def test_answers_with_no_program_fail_check(project: Path) -> None:
    """An answer refused as ambiguous (it parses as Python, which runs one `def`, while its
    rendered Markdown shows another; red team s19, C4) or with nothing to keep has an empty
    program: it parses, so no rule saw it, and it passed as a clean candidate."""
    fence = "`" * 3
    two = (
        f"r'''\nHere is the solution:\n\n{fence}python\ndef f(x):\n    return x - 1\n"
        f"{fence}\n'''\ndef f(x):\n    return x + 1\n"
    )
    body = f"Use this body:\n\n{fence}python\nreturn x\n{fence}\n"
    rows = [{"task_id": "Demo/0", "solution": two}, {"task_id": "Demo/1", "solution": body}]
    (project / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, doc = run_json("samples.jsonl", "--no-model")
    assert code == 1  # a high finding, with the default fail-on
    two_found, body_found = (
        [(f["code"], f["severity"], f["message"]) for f in c["findings"]] for c in doc["candidates"]
    )
    assert two_found == [
        (
            "AUD901",
            "high",
            "no program: ambiguous answer: run as Python it defines `f` on line 9, but a "
            "code block it shows as Markdown defines `f` on line 5",
        )
    ]
    assert body_found == [("AUD901", "high", "no program: no code to keep")]


def test_trojan_source_fails_check(project: Path) -> None:
    """Bidirectional control characters (CVE-2021-42574) in a string or a comment are a high
    finding (red team s19, S2: ruff's PLE2502 was reported at low severity, and passed)."""
    lines = {"s": '    s = "user\u202e \u2066# admin\u2069 \u2066"', "c": "    # \u2067x"}
    for name, line in lines.items():
        (project / f"{name}.py").write_text(f"def f(user):\n{line}\n    return user\n")
        code, doc = run_json(f"{name}.py", "--no-model")
        assert code == 1
        found = [(f["code"], f["severity"], f["line"]) for f in doc["candidates"][0]["findings"]]
        assert ("ruff:PLE2502", "high", 2) in found


@pytest.mark.parametrize("fmt", ["json", "sarif", "text", "markdown", "github"])
def test_output_is_deterministic(project: Path, tiny_model: Path, fmt: str) -> None:
    args = ("src", "--model", str(tiny_model), "--format", fmt)
    first, second = invoke(*args)[1], invoke(*args)[1]
    assert first == second and first
    assert str(project) not in first  # no absolute paths


def test_output_file_not_created_on_error(project: Path) -> None:
    assert main(["check", "missing.py", "--no-model", "--format", "sarif:out.sarif"]) == 2
    assert not (project / "out.sarif").exists()


def test_examples_flag_the_planted_false_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, doc = run_json("examples", "--no-model")
    by_path = {c["path"]: c for c in doc["candidates"]}
    assert set(by_path) >= {"examples/count_vowels.py", "examples/running_max.py"}
    assert [f["code"] for f in by_path["examples/count_vowels.py"]["findings"]] == ["AUD302"]
    high = [p for p, c in by_path.items() if any(f["severity"] == "high" for f in c["findings"])]
    assert high == ["examples/count_vowels.py"] and code == 1


def test_packaged_model_matches_the_feature_schema() -> None:
    """Fails when an extractor changed without retraining the default model (see the card)."""
    path = M.default_model_path()
    assert path.is_file(), "auditor/data/default_model.skops is missing"
    # keep the package small (five calibrated estimators and their numpy export since the
    # execution sets; see the model card)
    assert path.stat().st_size < 4_000_000
    loaded = M.load_model(path)
    assert loaded.meta.schema_hash == features.schema_hash()
    assert {c["name"] for c in loaded.meta.corpora} == {"codegen16b", "davinci002", "qwen25coder7b"}


def test_integration_files() -> None:
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "auditor-check" and hooks[0]["entry"] == "auditor check"
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    run = next(s["run"] for s in action["runs"]["steps"] if s.get("id") == "check")
    assert "auditor check" in run and "sarif:" in run and "--format github" in run


def _action_step(
    step: dict, inputs: dict[str, str], env: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    """A composite step's script and env with `${{ inputs.X }}`, `${{ env.X }}` and their
    `a || b` filled in as the runner does, every other context (github.*) empty."""
    import re

    expr = re.compile(r"\$\{\{(.*?)\}\}")
    contexts = {"inputs": inputs, "env": env or {}}

    def value(name: str) -> str:
        context, _, key = name.strip().partition(".")
        return contexts.get(context, {}).get(key, "")

    def first_set(match: re.Match[str]) -> str:
        return next((v for v in map(value, match[1].split("||")) if v), "")

    def fill(text: str) -> str:
        return expr.sub(first_set, str(text))

    return fill(step["run"]), {k: fill(v) for k, v in step.get("env", {}).items()}


def test_the_action_passes_its_inputs_to_check(tmp_path: Path) -> None:
    """The Action's check step gives `auditor check` its paths and options, --tasks and
    --tests when asked, the exec seed through the environment only (a secret stays off
    command lines and logs), and reports the exit code."""
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    inputs |= {"paths": "gen/ more/", "tasks": "tasks.jsonl", "exec-seed": "424242"}
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    no_input = _action_step(step, {**inputs, "exec-seed": ""}, {"AUDITOR_EXEC_SEED": "77"})[1]
    assert no_input["AUDITOR_EXEC_SEED"] == "77"  # the job's variable when the input is empty
    script, env = _action_step(step, inputs, {"AUDITOR_EXEC_SEED": "77"})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "auditor"  # records what it was given, exits as on findings
    fake.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@" > args.txt\necho "$AUDITOR_EXEC_SEED" > seed\nexit 1\n'
    )
    fake.chmod(0o755)
    out = tmp_path / "github_output"
    env |= {"PATH": f"{bin_dir}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(out)}
    subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, check=True)
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[:3] == ["check", "gen/", "more/"]
    assert args[args.index("--tasks") + 1] == "tasks.jsonl" and "--tests" not in args
    assert "424242" not in " ".join(args) and (tmp_path / "seed").read_text() == "424242\n"
    assert out.read_text() == "exit-code=1\n"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_findings_on_a_completion_s_prompt_are_not_the_candidate_s(
    tmp_path: Path, end: str
) -> None:
    """A completion row's prompt (imports, docstring, helpers) was written by the
    benchmark: its line-level findings are not reported (user trial s18: line-too-long on
    the prompt's docstring); the body's are, and so are findings on the `def` line. Its
    lines are counted as Python counts them: a prompt ending its lines in `\\r` alone had
    none (`count("\\n")`), so its findings were the candidate's."""
    long = "x" * 90
    task = {
        "task_id": "T/0",
        "prompt": f'import os{end}{end}def f(n):{end}    """{long}"""{end}',
        "entry_point": "f",
        "base_input": [[1]],
        "canonical_solution": "    return n\n",
    }
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(task) + "\n")
    samples = tmp_path / "s.jsonl"
    body = f"    y = '{long}'{end}    return n{end}"
    samples.write_text(json.dumps({"task_id": "T/0", "completion": body}) + "\n")
    res = CliRunner().invoke(
        cli, ["check", str(samples), "--tasks", str(tasks), "--no-execute", "--no-model",
              "--format", "json", "--fail-on", "none"]
    )  # fmt: skip
    (cand,) = json.loads(res.stdout)["candidates"]
    lines = {(f["line"], f["code"]) for f in cand["findings"]}
    assert not {line for line, _ in lines} & {1, 2, 4}, lines  # the prompt's (def: line 3)
    assert (5, "ruff:E501") in lines  # the candidate's own long line


def test_a_file_mixing_crlf_and_lf_is_read(tmp_path: Path) -> None:
    """Python compiles it; libcst 1.0 did not (pyproject's floor is the release that does)."""
    path = tmp_path / "mixed.py"
    path.write_bytes(b"def f(x):\r\n    return x + 1\n\n\ndef g(y):\n    return y\r\n")
    result = CliRunner().invoke(cli, ["check", str(path), "--no-model", "--format", "json"])
    codes = [f["code"] for c in json.loads(result.stdout)["candidates"] for f in c["findings"]]
    assert codes and "AUD901" not in codes, codes


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"schema": "auditor.baseline/9", "findings": []}', "schema 'auditor.baseline/9'"),
        ("{}", "no schema"),
        ("[]", "not a JSON object"),
        ("7", "not a JSON object"),
        ('{"schema": "auditor.baseline/4", "findings": {}}', "'findings' is not a list"),
        ('{"schema": "auditor.baseline/4", "findings": [7]}', "not a JSON object"),
        ("[" * 100_000, "malformed baseline"),
    ],
    ids=lambda x: x[:30],
)
def test_a_baseline_not_read_says_what_the_file_holds(text: str, said: str) -> None:
    """The message named the schema this version writes as if it were the file's, an
    array leaked Python's "'list' object has no attribute 'get'", and nesting past the
    recursion limit was an internal error (exit 3)."""
    from auditor.baseline import Baseline
    from auditor.errors import InputError

    with pytest.raises(InputError) as err:
        Baseline.from_json(text, "b.json")
    assert said in str(err.value) and "attribute" not in str(err.value), err.value
