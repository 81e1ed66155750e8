"""Labeling: toy-corpus statuses, summary maths, resume after SIGKILL, OUTDIR layout."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from auditor.corpus.benchmarks import load_benchmark
from auditor.corpus.labels import (
    LabelAppender,
    LabelRow,
    read_label_rows,
    read_labels,
    rewrite_labels,
)
from auditor.corpus.samples import read_samples
from auditor.errors import InputError
from auditor.label import (
    WEAK_TESTS,
    LabelRun,
    behaviour_key,
    compose,
    label,
    plan_run,
    run_plan,
    summarize_labels,
)
from auditor.sandbox import GroundTruth, Job, JobResult, PhaseResult, SandboxLimits, TaskSpec
from auditor.types import Candidate, Label, Outcome, Status, Task

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "corpora" / "toy"
FAST = SandboxLimits(min_time_limit=0.3, max_phase_s=5.0, setup_s=5.0)


@pytest.fixture(scope="module")
def toy_tasks() -> dict[str, Task]:
    return load_benchmark(str(TOY / "benchmark.jsonl"))


@pytest.fixture(scope="module")
def toy_run(toy_tasks: dict[str, Task], tmp_path_factory: pytest.TempPathFactory) -> LabelRun:
    cands = read_samples(TOY / "samples.jsonl", toy_tasks).candidates
    out = tmp_path_factory.mktemp("toy-labels")
    return label(cands, toy_tasks, jobs=2, out_dir=out, limits=FAST, benchmark="toy")


def test_toy_labels_equal_expected(toy_run: LabelRun) -> None:
    expected = json.loads((TOY / "expected.json").read_text())
    got: dict[str, dict[str, str]] = {}
    for lb in toy_run.labels:
        got.setdefault(lb.task_id, {})[lb.sample_id] = lb.status.value
    assert got == expected


def test_toy_outdir_layout(toy_run: LabelRun) -> None:
    assert toy_run.out_dir is not None
    out = toy_run.out_dir
    lines = (out / "labels.jsonl").read_text().splitlines()
    assert len(lines) == 16
    assert read_labels(out) == toy_run.labels
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == "auditor.labels/1"
    assert summary["overall"]["n"] == 16
    assert summary["overall"]["false_positive"] == 6
    assert summary["overall"]["correct"] == 6
    assert summary["tasks"]["Toy/0"]["ceiling"] == pytest.approx(1 / 3, abs=1e-6)
    results = json.loads((out / "eval_results.json").read_text())
    toy0 = results["eval"]["Toy/0"]
    assert [e["base_status"] for e in toy0] == ["pass", "pass", "pass", "fail"]
    assert [e["plus_status"] for e in toy0] == ["pass", "fail", "fail", "fail"]
    # the failing input is recorded like EvalPlus does (the last input run)
    assert toy0[1]["plus_fail_tests"] == [[[-2, -3, 5]]]
    assert toy0[3]["base_fail_tests"] == [[[1, 2, 3, 4]]]


def test_toy_original_tests(toy_tasks: dict[str, Task]) -> None:
    cands = read_samples(TOY / "samples.jsonl", toy_tasks).candidates
    run = label(cands, toy_tasks, jobs=2, limits=FAST, weak_tests="original")
    base = label(cands, toy_tasks, jobs=2, limits=FAST)
    # the toy's asserts test exactly its base inputs: same weak verdicts, same strong ones
    assert [lb.weak_status for lb in run.labels] == [lb.weak_status for lb in base.labels]
    assert [lb.strong_status for lb in run.labels] == [lb.strong_status for lb in base.labels]
    assert run.summary["weak_tests"] == "original"


def test_original_tests_can_disagree_with_base(toy_tasks: dict[str, Task]) -> None:
    task = toy_tasks["Toy/0"]
    # an original test that checks less than base_input: a candidate may pass it only
    weak_test = "\n\ndef check(candidate):\n    assert candidate([2, 4, 6]) == 12\n"
    t = Task(**{**task.__dict__, "test": weak_test})
    hard_coded = "def sum_of_evens(numbers):\n    return 12\n"
    cands = [Candidate(t.task_id, "0", hard_coded)]
    run = label(cands, {t.task_id: t}, limits=FAST, weak_tests="original", jobs=1)
    (lb,) = run.labels
    assert (lb.weak_status, lb.strong_status, lb.status) == (
        Outcome.PASS,
        Outcome.FAIL,
        Status.FALSE_POSITIVE,
    )
    assert lb.first_fail == 0


def test_dedupe_runs_identical_programs_once(toy_tasks: dict[str, Task]) -> None:
    code = toy_tasks["Toy/0"].reference
    commented = code.replace("\n", "  # same\n", 1)
    cands = [Candidate("Toy/0", str(i), c) for i, c in enumerate([code, code, commented])]
    assert behaviour_key(code) == behaviour_key(commented)
    run = label(cands, toy_tasks, limits=FAST, jobs=1)
    assert run.summary["unique_programs"] == 1
    assert {lb.status for lb in run.labels} == {Status.CORRECT}
    assert run.labels[2].solution_sha256 != run.labels[0].solution_sha256


def test_unknown_task_and_duplicate_ids(toy_tasks: dict[str, Task]) -> None:
    with pytest.raises(InputError, match="unknown task id"):
        label([Candidate("Nope/1", "0", "x = 1")], toy_tasks, limits=FAST)
    dup = [Candidate("Toy/0", "0", "x = 1"), Candidate("Toy/0", "0", "x = 2")]
    with pytest.raises(InputError, match="duplicate sample id"):
        label(dup, toy_tasks, limits=FAST)


# -- pure parts ---------------------------------------------------------------------------


def _lb(task: str, sid: int, weak: str, strong: str) -> Label:
    w, s = Outcome(weak), Outcome(strong)
    return Label(task, str(sid), "0" * 64, w, s, Status.from_outcomes(w, s))


def test_summary_counts_ceiling_and_false_negatives() -> None:
    labels = [
        _lb("A", 0, "pass", "pass"),
        _lb("A", 1, "pass", "fail"),
        _lb("A", 2, "pass", "fail"),
        _lb("A", 3, "fail", "fail"),
        _lb("B", 0, "fail", "pass"),  # strong passes outnumber weak passes: a false negative
        _lb("B", 1, "fail", "fail"),
    ]
    s = summarize_labels(labels)
    a = s["tasks"]["A"]
    assert (a["n"], a["weak_pass"], a["correct"], a["false_positive"]) == (4, 3, 1, 2)
    assert a["ceiling"] == pytest.approx(1 / 3, abs=1e-6)
    assert a["fp_share"] == pytest.approx(2 / 3, abs=1e-6)
    assert s["tasks"]["B"]["ceiling"] is None
    assert s["false_negative_tasks"] == ["B"]
    o = s["overall"]
    assert o["weak_pass@1"] == pytest.approx((3 / 4 + 0) / 2, abs=1e-6)  # mean over tasks
    assert o["strong_pass@1"] == pytest.approx((1 / 4 + 1 / 2) / 2, abs=1e-6)
    assert o["ceiling"] == pytest.approx(1 / 3, abs=1e-6)


def test_compose_outcomes() -> None:
    weak = WEAK_TESTS["evalplus-base"]
    p = PhaseResult(Outcome.PASS, 3, None)
    base_fail = JobResult(0, {"base": PhaseResult(Outcome.TIMEOUT, 2, 1)}, 1.0)
    assert compose(base_fail, weak, 3) == (Outcome.TIMEOUT, Outcome.TIMEOUT, Outcome.TIMEOUT, 1)
    plus_fail = JobResult(0, {"base": p, "plus": PhaseResult(Outcome.FAIL, 5, 4)}, 1.0)
    assert compose(plus_fail, weak, 3) == (Outcome.PASS, Outcome.FAIL, Outcome.PASS, 7)
    broken = JobResult(0, {}, 0.0, error="reference fails")
    assert compose(broken, weak, 3)[:2] == (Outcome.ERROR, Outcome.ERROR)


# -- stages: plan, run, write --------------------------------------------------------------


def _cand(task: str, sid: int, code: str) -> Candidate:
    return Candidate(task, str(sid), code)


def test_plan_keeps_unchanged_rows_and_groups_behaviours() -> None:
    weak = WEAK_TESTS["evalplus-base"]
    f, g = "def f(x):\n    return x\n", "def f(x):\n    return -x\n"
    cands = [
        _cand("B", 0, f),
        _cand("A", 0, f),
        _cand("A", 1, f + "# same behaviour\n"),
        _cand("A", 2, g),
        _cand("B", 1, g),
    ]
    kept = Label("A", "2", cands[3].sha256, Outcome.PASS, Outcome.PASS, Status.CORRECT)
    stale = Label("B", "1", "0" * 64, Outcome.PASS, Outcome.PASS, Status.CORRECT)
    plan = plan_run(cands, weak, [LabelRow(kept, Outcome.PASS), LabelRow(stale, Outcome.PASS)])
    assert set(plan.resumed) == {("A", "2")}  # the stale row's program changed since
    assert plan.task_ids == ("B", "A")  # input order of first appearance
    groups = [[(c.task_id, c.sample_id) for c in g] for g in plan.groups]
    assert groups == [[("B", "0")], [("B", "1")], [("A", "0"), ("A", "1")]]
    assert [(j.job_id, j.task_id, j.phases) for j in plan.jobs] == [
        (0, "B", ("base", "plus")),
        (1, "B", ("base", "plus")),
        (2, "A", ("base", "plus")),
    ]
    assert plan.n_candidates == 4
    assert plan.unique_programs == 4  # A:f, A:g, B:f, B:g


class _FakeRunner:
    """A Runner that passes every job's base phase and fails plus on task "A"."""

    def __init__(self) -> None:
        self.registered: list[str] = []

    def register(self, specs: Sequence[TaskSpec]) -> None:
        self.registered += [s.task_id for s in specs]

    def prepare(self, specs: Sequence[TaskSpec]) -> dict[str, GroundTruth]:
        raise AssertionError("label registers, it does not prepare")

    def ground_truth(self, task_id: str) -> GroundTruth:
        return GroundTruth(task_id, {}, {}, error="reference raises" if task_id == "B" else None)

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        plus = {j.job_id: Outcome.FAIL if j.task_id == "A" else Outcome.PASS for j in jobs}
        return iter(
            JobResult(
                j.job_id,
                {
                    "base": PhaseResult(Outcome.PASS, 1, None),
                    "plus": PhaseResult(plus[j.job_id], 2, 1),
                },
                0.5,
            )
            for j in reversed(jobs)  # completion order need not be job order
        )

    def close(self) -> None:
        pass


def test_run_plan_labels_every_group_member_and_reports_broken_tasks() -> None:
    from auditor.types import Task

    weak = WEAK_TESTS["evalplus-base"]
    tasks = {t: Task(t, "", "f", "def f(x):\n    return x\n", (1,), (2, 3)) for t in "AB"}
    f = "def f(x):\n    return x\n"
    cands = [_cand("A", 0, f), _cand("A", 1, f + "\n"), _cand("B", 0, f)]
    plan = plan_run(cands, weak)
    runner = _FakeRunner()
    batches: list[list[LabelRow]] = []
    outcome = run_plan(plan, tasks, weak, runner, batches.append)
    assert runner.registered == ["A", "B"]
    assert [len(b) for b in batches] == [1, 2]
    got = {
        r.label.sample_id + r.label.task_id: (r.label.status, r.label.first_fail)
        for b in batches
        for r in b
    }
    assert got == {
        "0A": (Status.FALSE_POSITIVE, 2),  # n_base + plus fail index
        "1A": (Status.FALSE_POSITIVE, 2),
        "0B": (Status.CORRECT, None),
    }
    assert outcome.broken_tasks == {"B": "reference raises"}
    assert outcome.isolation == {}


def test_label_file_rows_append_resume_and_rewrite_only_if_needed(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    rows = [LabelRow(_lb("A", i, "pass", "fail"), Outcome.PASS) for i in range(3)]
    appender = LabelAppender(path)
    appender.write(rows[2:])
    appender.write(rows[:2])
    appender.close()
    with path.open("ab") as fh:
        fh.write(b'{"task_id": "A", "sample')  # torn by a kill
    assert read_label_rows(path) == [rows[2], rows[0], rows[1]]
    assert path.read_bytes().endswith(b"\n")  # the torn line was cut off
    assert rewrite_labels(path, rows) is True  # completion order -> input order
    assert read_label_rows(path) == rows
    mtime = path.stat().st_mtime_ns
    assert rewrite_labels(path, rows) is False  # already right: no second write
    assert path.stat().st_mtime_ns == mtime


def test_resumed_run_without_jobs_leaves_labels_file_alone(
    tmp_path: Path, toy_tasks: dict[str, Task]
) -> None:
    cands = [Candidate("Toy/0", "0", toy_tasks["Toy/0"].reference)]
    label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1)
    before = (tmp_path / "labels.jsonl").stat().st_mtime_ns
    again = label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1)
    assert again.resumed == 1
    assert (tmp_path / "labels.jsonl").stat().st_mtime_ns == before


# -- resume -------------------------------------------------------------------------------


def _slow_corpus(tmp: Path, n: int) -> tuple[Path, Path]:
    bench = {
        "task_id": "Slow/0",
        "prompt": "def slow(x):\n",
        "entry_point": "slow",
        "canonical_solution": "    return x * 3\n",
        "base_input": [[1], [2]],
        "plus_input": [[-1]],
        "atol": 0,
        "contract": "",
        "test": "\n\ndef check(candidate):\n    assert candidate(1) == 3\n",
    }
    (tmp / "bench.jsonl").write_text(json.dumps(bench) + "\n")
    rows = []
    for i in range(n):
        # distinct programs (no dedupe); each sleeps so that the run can be killed midway
        body = f"    import time\n    time.sleep(0.15)\n    return x * 3 + {i % 2} * (x < 0)\n"
        rows.append({"task_id": "Slow/0", "sample_id": i, "solution": "def slow(x):\n" + body})
    (tmp / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp / "samples.jsonl", tmp / "bench.jsonl"


def _cmd(samples: Path, bench: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "auditor",
        "label",
        str(samples),
        "--benchmark",
        str(bench),
        "--jobs",
        "1",
        "-q",
        "--min-time-limit",
        "1",
        "-o",
        str(out),
    ]


def test_resume_after_sigkill(tmp_path: Path) -> None:
    n = 40
    samples, bench = _slow_corpus(tmp_path, n)
    out = tmp_path / "out"
    proc = subprocess.Popen(_cmd(samples, bench, out), stderr=subprocess.PIPE)
    labels_file = out / "labels.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if labels_file.is_file() and len(labels_file.read_bytes().splitlines()) >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = labels_file.read_bytes().splitlines()
    assert 5 <= len(before) < n
    # simulate a torn last line as a kill mid-write would leave it
    with labels_file.open("ab") as fh:
        fh.write(b'{"task_id": "Slow/0", "sample_id": "3')
    done = subprocess.run(
        _cmd(samples, bench, out), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"resumed {len(before)}" in done.stderr
    rows = [json.loads(line) for line in labels_file.read_text().splitlines()]
    ids = [r["sample_id"] for r in rows]
    assert sorted(ids, key=int) == [str(i) for i in range(n)]  # complete, no duplicates
    want = {str(i): ("correct" if i % 2 == 0 else "false_positive") for i in range(n)}
    assert {r["sample_id"]: r["status"] for r in rows} == want
    # labels written before the kill were kept, not recomputed
    first = {json.loads(b)["sample_id"]: json.loads(b)["runtime_s"] for b in before}
    again = {r["sample_id"]: r["runtime_s"] for r in rows}
    assert all(again[k] == v for k, v in first.items())


def test_resume_refuses_other_configuration(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    cands = [Candidate("Toy/0", "0", toy_tasks["Toy/0"].reference)]
    label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1)
    with pytest.raises(InputError, match="different configuration"):
        label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1, weak_tests="original")


def test_resume_refusal_names_the_setting_that_differs(
    tmp_path: Path, toy_tasks: dict[str, Task]
) -> None:
    """The message gave the recorded weak tests and benchmark whatever differed, so a
    --min-time-limit change read "(evalplus-base, auto)", the very settings given again."""
    from dataclasses import replace

    cands = [Candidate("Toy/0", "0", toy_tasks["Toy/0"].reference)]
    label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1)
    slower = replace(FAST, min_time_limit=FAST.min_time_limit + 1)
    with pytest.raises(InputError) as err:
        label(cands, toy_tasks, out_dir=tmp_path, limits=slower, jobs=1)
    said = str(err.value)
    assert f"min_time_limit {FAST.min_time_limit} there, {slower.min_time_limit} here" in said
    assert "evalplus-base" not in said
    with pytest.raises(InputError, match="weak_tests 'evalplus-base' there, 'original' here"):
        label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1, weak_tests="original")
    with pytest.raises(InputError, match="benchmark '' there, 'humaneval\\+' here"):
        label(cands, toy_tasks, out_dir=tmp_path, limits=FAST, jobs=1, benchmark="humaneval+")


def test_benchmark_file_is_recorded_resolved_and_resumes_by_file(
    tmp_path: Path, toy_tasks: dict[str, Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative --benchmark is recorded as an absolute path (readers run from elsewhere),
    and a resume names the same file however it is spelt, also against an older relative record."""
    cands = [Candidate("Toy/0", "0", toy_tasks["Toy/0"].reference)]
    out = tmp_path / "out"
    monkeypatch.chdir(TOY.parent)
    label(cands, toy_tasks, out_dir=out, limits=FAST, jobs=1, benchmark="toy/benchmark.jsonl")
    absolute = str((TOY / "benchmark.jsonl").resolve())
    for name in ("run.json", "summary.json"):
        assert json.loads((out / name).read_text())["benchmark"] == absolute
    monkeypatch.chdir(TOY)
    again = label(cands, toy_tasks, out_dir=out, limits=FAST, jobs=1, benchmark="benchmark.jsonl")
    assert again.resumed == 1
    # an OUTDIR of an older version recorded the path as typed, in the cwd of that run
    run = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**run, "benchmark": "toy/benchmark.jsonl"}))
    monkeypatch.chdir(TOY.parent)
    again = label(cands, toy_tasks, out_dir=out, limits=FAST, jobs=1, benchmark=absolute)
    assert again.resumed == 1
    assert json.loads((out / "run.json").read_text())["benchmark"] == absolute  # upgraded


def test_resume_refuses_other_samples_and_keeps_the_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rerunning into an OUTDIR with another samples file would drop the labels of samples
    it lacks: refused like another configuration. The same file, edited or moved, resumes."""
    from auditor.cli import main

    rows = (TOY / "samples.jsonl").read_text().splitlines(keepends=True)
    full, part = tmp_path / "full.jsonl", tmp_path / "part.jsonl"
    full.write_text("".join(rows[:2]))
    part.write_text(rows[0])
    out = tmp_path / "out"

    def run(samples: Path) -> int:
        bench = ["--benchmark", str(TOY / "benchmark.jsonl")]
        return main(["label", str(samples), *bench, "-o", str(out), "-q", "-j", "1"])

    assert run(full) == 0
    before = (out / "labels.jsonl").read_text()
    capsys.readouterr()
    assert run(part) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds labels of other samples" in err[0], err
    assert (out / "labels.jsonl").read_text() == before
    # an older OUTDIR: run.json without samples, summary.json with them
    run_json = json.loads((out / "run.json").read_text())
    del run_json["samples"]
    (out / "run.json").write_text(json.dumps(run_json))
    assert run(part) == 2
    full.write_text("".join(rows[:3]))
    assert run(full) == 0  # the same file, one sample added
    moved = tmp_path / "moved.jsonl"
    moved.write_text(full.read_text())
    assert run(moved) == 0  # the same content under another name
    assert len((out / "labels.jsonl").read_text().splitlines()) == 3


def test_cli_label_toy(tmp_path: Path) -> None:
    out = tmp_path / "o"
    env = dict(os.environ)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "label",
            str(TOY / "samples.jsonl"),
            "--benchmark",
            str(TOY / "benchmark.jsonl"),
            "-o",
            str(out),
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert {p.name for p in out.iterdir()} >= {"labels.jsonl", "summary.json", "eval_results.json"}
    missing = subprocess.run(
        [sys.executable, "-m", "auditor", "label", str(tmp_path / "nope.jsonl"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr


@pytest.mark.integration
@pytest.mark.parametrize("name", ["codegen16b", "davinci002", "qwen25coder7b"])
def test_committed_labels_cover_their_corpus(name: str, shared_corpora: Path) -> None:
    out = REPO / "corpora" / "labels" / name
    if not (out / "summary.json").is_file():
        pytest.skip(f"no committed labels for {name} yet")
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((shared_corpora / "MANIFEST.json").read_text())
    entry = next(e for e in manifest if e["file"] == summary["samples"]["data_relpath"])
    assert summary["samples"]["sha256"] == entry["sha256"]
    labels = read_labels(out)
    assert len(labels) == entry["rows"] == summary["overall"]["n"]
    raw = read_samples(shared_corpora / entry["file"], None, sanitize=False).candidates
    assert {(c.task_id, c.sample_id) for c in raw} == {(lb.task_id, lb.sample_id) for lb in labels}
    assert "solution" not in (out / "labels.jsonl").read_text().split("\n", 1)[0].replace(
        "solution_sha256", ""
    )


# -- sandbox errors: stored as `error`, counted apart, retried once on resume -----------------


class _ErrorRunner(_FakeRunner):
    """Every job's sandbox run fails (no phases) while `broken` is true."""

    def __init__(self, broken: bool) -> None:
        super().__init__()
        self.broken = broken
        self.ran: list[str] = []

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        self.ran += [j.task_id for j in jobs]
        if not self.broken:
            return super().run(jobs)
        return iter(JobResult(j.job_id, {}, 0.0, error="sandbox worker died") for j in jobs)


def _two_tasks() -> dict[str, Task]:
    return {t: Task(t, "", "f", "def f(x):\n    return x\n", (1,), (2,)) for t in "AB"}


def test_error_outcome_is_its_own_status_and_count(tmp_path: Path) -> None:
    cands = [_cand("A", 0, "def f(x):\n    return x\n")]
    run = label(cands, _two_tasks(), out_dir=tmp_path, runner=_ErrorRunner(True))
    assert run.labels[0].status is Status.ERROR
    o = run.summary["overall"]
    assert (o["error"], o["rejected"], o["correct"], o["false_positive"]) == (1, 0, 0, 0)
    row = json.loads((tmp_path / "labels.jsonl").read_text())
    assert (row["status"], row["tries"]) == ("error", 1)
    assert Status.from_outcomes(Outcome.PASS, Outcome.ERROR) is Status.ERROR
    assert Status.from_outcomes(Outcome.FAIL, Outcome.FAIL) is Status.REJECTED


def test_error_is_retried_once_on_resume_then_kept(tmp_path: Path) -> None:
    tasks = _two_tasks()
    cands = [_cand("A", 0, "def f(x):\n    return x\n"), _cand("B", 0, "def f(x):\n    return 1\n")]
    label(cands, tasks, out_dir=tmp_path, runner=_ErrorRunner(True))
    again = _ErrorRunner(True)
    second = label(cands, tasks, out_dir=tmp_path, runner=again)
    assert (second.retried, second.resumed, again.ran) == (2, 0, ["A", "B"])
    assert [lb.status for lb in second.labels] == [Status.ERROR, Status.ERROR]
    rows = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert [r["tries"] for r in rows] == [2, 2]
    third_runner = _ErrorRunner(False)
    third = label(cands, tasks, out_dir=tmp_path, runner=third_runner)
    assert (third.retried, third.resumed, third_runner.ran) == (0, 2, [])  # retried once: kept


def test_error_retry_that_succeeds_replaces_the_error(tmp_path: Path) -> None:
    tasks = _two_tasks()
    cands = [_cand("B", 0, "def f(x):\n    return x\n")]
    label(cands, tasks, out_dir=tmp_path, runner=_ErrorRunner(True))
    fixed = label(cands, tasks, out_dir=tmp_path, runner=_ErrorRunner(False))
    assert fixed.retried == 1
    assert fixed.labels[0].status is Status.CORRECT
    assert fixed.summary["overall"]["error"] == 0
    row = json.loads((tmp_path / "labels.jsonl").read_text())
    assert "tries" not in row


# -- one ceiling ------------------------------------------------------------------------------


def test_ceiling_is_the_task_mean_and_pooled_ratio_has_its_own_name() -> None:
    labels = [_lb("A", i, "pass", "pass") for i in range(3)]  # A: c/b = 3/3
    labels += [_lb("B", 0, "pass", "pass")] + [_lb("B", i, "pass", "fail") for i in (1, 2, 3)]
    labels += [_lb("C", 0, "fail", "fail")]  # no weak pass: not in the mean
    o = summarize_labels(labels)["overall"]
    assert o["ceiling"] == pytest.approx((1 + 1 / 4) / 2, abs=1e-6)
    assert o["weak_pass_precision"] == pytest.approx(4 / 7, abs=1e-6)
    assert "ceiling_task_mean" not in o
    assert summarize_labels([_lb("C", 0, "fail", "fail")])["overall"]["ceiling"] is None


def test_summary_and_curves_agree_on_the_ceiling(
    toy_run: LabelRun, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    assert toy_run.out_dir is not None
    assert main(["curves", str(toy_run.out_dir), "--format", "json"]) == 0
    curves_ceiling = json.loads(capsys.readouterr().out)["ceiling"]
    summary = json.loads((toy_run.out_dir / "summary.json").read_text())
    assert summary["overall"]["ceiling"] == pytest.approx(curves_ceiling, abs=1e-6)


@pytest.mark.integration
@pytest.mark.parametrize("name", ["codegen16b", "davinci002", "qwen25coder7b"])
def test_committed_summaries_agree_with_curves(name: str) -> None:
    from auditor.resampling import TaskCounts, ceiling

    out = REPO / "corpora" / "labels" / name
    summary = json.loads((out / "summary.json").read_text())
    want = ceiling(TaskCounts.from_labels(read_labels(out)))
    assert summary["overall"]["ceiling"] == pytest.approx(want, abs=1e-6)
    assert summary["overall"]["weak_pass_precision"] == pytest.approx(
        summary["overall"]["correct"] / summary["overall"]["weak_pass"], abs=1e-6
    )


# -- bad input: one line, exit 2, no hang -----------------------------------------------------


def _label_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", "label", *args],
        capture_output=True,
        text=True,
        timeout=timeout,  # a FIFO read would hang here
        check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def _one_line_exit_2(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], res.stderr


def test_fifo_and_device_inputs_are_refused(tmp_path: Path) -> None:
    bench = str(TOY / "benchmark.jsonl")
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    in_dir = tmp_path / "dir" / "Toy_0"
    in_dir.mkdir(parents=True)
    os.mkfifo(in_dir / "0.py")
    out = str(tmp_path / "out")
    _one_line_exit_2(_label_cli(str(fifo), "--benchmark", bench, "-o", out), "a FIFO")
    _one_line_exit_2(_label_cli(str(zero), "--benchmark", bench, "-o", out), "character device")
    _one_line_exit_2(_label_cli(str(tmp_path / "dir"), "--benchmark", bench, "-o", out), "FIFO")
    samples = str(TOY / "samples.jsonl")
    _one_line_exit_2(_label_cli(samples, "--benchmark", str(fifo), "-o", out), "a FIFO")
    labels_fifo = tmp_path / "outfifo"
    labels_fifo.mkdir()
    os.mkfifo(labels_fifo / "labels.jsonl")
    _one_line_exit_2(_label_cli(samples, "--benchmark", bench, "-o", str(labels_fifo)), "FIFO")


def test_a_dir_sample_python_cannot_read_is_one_line(tmp_path: Path) -> None:
    """A samples directory's N.py is read as `check` reads a .py file; one that is not
    UTF-8 and declares no other codec is one line naming it, exit 2."""
    (tmp_path / "dir" / "Toy_0").mkdir(parents=True)
    (tmp_path / "dir" / "Toy_0" / "0.py").write_bytes(b"def f(x):\n    return 'caf\xe9'\n")
    res = _label_cli(
        str(tmp_path / "dir"), "--benchmark", str(TOY / "benchmark.jsonl"), "-o", str(tmp_path)
    )
    _one_line_exit_2(res, "0.py: not UTF-8 text (byte 0xe9 at offset 25)")
    assert "(save it as UTF-8" in res.stderr


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--min-time-limit", "nan", "min_time_limit"),
        ("--min-time-limit", "-1", "min_time_limit"),
        ("--min-time-limit", "0", "min_time_limit"),
        ("--min-time-limit", "inf", "min_time_limit"),
        ("--min-time-limit", "1e9", "min_time_limit"),
        ("--min-time-limit", "soon", "is not a number"),
        ("--jobs", "0", "jobs"),
        ("--jobs", "-3", "jobs"),
        ("--jobs", "100000", "jobs"),
        ("--jobs", "two", "is not an integer"),
    ],
)
def test_numeric_options_are_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, needle: str
) -> None:
    from auditor.cli import main

    args = [str(TOY / "samples.jsonl"), "--benchmark", str(TOY / "benchmark.jsonl")]
    code = main(["label", *args, "-o", str(tmp_path / "o"), option, value])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "o" / "run.json").exists()  # refused before anything is written


def test_output_naming_an_existing_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    args = [str(TOY / "samples.jsonl"), "--benchmark", str(TOY / "benchmark.jsonl")]
    assert main(["label", *args, "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a directory" in err[0]
    assert target.read_text() == "keep me"


def _toy_rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in (TOY / "benchmark.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("command", ["label", "check"])
@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"base_input": "abc"}, "bench.jsonl:1: task Toy/0: base_input is not a list of"),
        ({"task_id": 0.5}, "bench.jsonl:1: field 'task_id' missing or not a string or an int"),
        ({"prompt": None}, "bench.jsonl:1: field 'prompt' missing or not a string"),
        ({"atol": "x"}, "bench.jsonl:1: task Toy/0: atol is not a finite number"),
        (None, "bench.jsonl:5: duplicate task id 'Toy/0' (first on line 1)"),
    ],
    ids=["string-base-input", "float-task-id", "null-prompt", "string-atol", "duplicate-id"],
)
def test_malformed_benchmark_rows_are_one_line_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    change: dict[str, object] | None,
    needle: str,
) -> None:
    """One validation of task rows for `label --benchmark` and `check --tasks`."""
    from auditor.cli import main

    rows = _toy_rows()
    if change is None:  # another task renamed Toy/0: the last row must not silently win
        rows.append({**rows[1], "task_id": "Toy/0"})
    else:
        rows[0] = {**rows[0], **change}
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = [str(TOY / "samples.jsonl")]
    if command == "label":
        args = ["label", *args, "--benchmark", str(bench), "-o", str(tmp_path / "o"), "-q"]
    else:
        args = ["check", *args, "--tasks", str(bench), "--no-model"]
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and needle in err[0], err


def test_an_integer_task_id_is_its_digits_for_label_and_check(tmp_path: Path) -> None:
    """MBPP numbers its tasks: a release row's or task file row's `"task_id": 0` is "0"
    in both readers (one validation), as it is in a samples file."""
    from auditor.corpus.benchmarks import load_benchmark_file
    from auditor.execution.tasks import load_tasks

    rows = [{**row, "task_id": n} for n, row in enumerate(_toy_rows())]
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ids = [str(n) for n in range(len(rows))]
    assert list(load_benchmark_file(bench)) == ids == list(load_tasks(str(bench)))


def test_label_api_validates_settings(toy_tasks: dict[str, Task]) -> None:
    cands = [Candidate("Toy/0", "0", toy_tasks["Toy/0"].reference)]
    with pytest.raises(InputError, match="time_factor"):
        label(cands, toy_tasks, limits=SandboxLimits(time_factor=float("nan")))
    with pytest.raises(InputError, match="jobs"):
        label(cands, toy_tasks, jobs=0)


def test_require_isolation_without_bubblewrap_is_one_line_exit_3(tmp_path: Path) -> None:
    """No bwrap on PATH: the default falls back and says so; --require-isolation refuses."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(Path(sys.executable).resolve())
    env = {**os.environ, "PATH": str(bin_dir), "PYTHONPATH": str(REPO)}
    base = [sys.executable, "-m", "auditor", "label", str(TOY / "samples.jsonl")]
    base += ["--benchmark", str(TOY / "benchmark.jsonl"), "-q"]
    strict = subprocess.run(
        [*base, "-o", str(tmp_path / "strict"), "--require-isolation"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert strict.returncode == 3
    assert strict.stderr.count("\n") == 1 and "namespaces unavailable" in strict.stderr
    loose = subprocess.run(
        [*base, "-o", str(tmp_path / "loose")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loose.returncode == 0 and "sandbox without namespaces" in loose.stderr
    summary = json.loads((tmp_path / "loose" / "summary.json").read_text())
    assert summary["isolation"]["mode"] == "fallback"


def test_cli_label_auto_reads_completions_by_task_id_prefix(tmp_path: Path) -> None:
    """`--benchmark auto` on `completion` rows: the ids name HumanEval+ and MBPP+, so both
    load; the ids are read before the prompts are known (it exited 2 instead)."""
    rows = [json.loads(line) for line in (TOY / "benchmark.jsonl").read_text().splitlines()]
    rename = {"Toy/0": "HumanEval/0", "Toy/2": "Mbpp/2"}
    data = tmp_path / "data"
    (data / "benchmarks").mkdir(parents=True)
    releases = {"HumanEvalPlus-v0.1.10.jsonl.gz": rows[0], "MbppPlus-v0.2.0.jsonl.gz": rows[2]}
    for name, row in releases.items():
        text = json.dumps(row | {"task_id": rename[row["task_id"]]}) + "\n"
        (data / "benchmarks" / name).write_bytes(gzip.compress(text.encode()))
    samples = tmp_path / "completions.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"task_id": rename[r["task_id"]], "completion": r["canonical_solution"]})
            + "\n"
            for r in (rows[0], rows[2])
        )
    )
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "auditor", "label", str(samples), "--data-dir", str(data)]
    res = subprocess.run(
        [*cmd, "-o", str(out), "-q", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    labels = {lb.task_id: lb.status for lb in read_labels(out)}
    assert set(labels) == {"HumanEval/0", "Mbpp/2"}  # (this toy task is no real MBPP+ one)
    assert labels["HumanEval/0"] is Status.CORRECT


def test_answer_refused_as_ambiguous_is_never_correct(
    tmp_path: Path, toy_tasks: dict[str, Task]
) -> None:
    """Red team s19, C4: the answer parses as Python, which runs a correct `def`, while
    the code block its Markdown shows is wrong. It was labelled correct on the program the
    reader never sees; now there is no program to pass."""
    fence = "`" * 3
    shown = "def sum_of_evens(numbers):\n    return sum(numbers)\n"
    run_ = "def sum_of_evens(numbers):\n    return sum(n for n in numbers if n % 2 == 0)\n"
    answer = f"r'''\nHere is the solution:\n\n{fence}python\n{shown}{fence}\n'''\n{run_}"
    samples = tmp_path / "s.jsonl"
    rows = [{"task_id": "Toy/0", "solution": s} for s in (answer, run_)]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cands = read_samples(samples, toy_tasks).candidates
    assert cands[0].code == "" and (cands[0].reason or "").startswith("ambiguous answer")
    run = label(cands, toy_tasks, jobs=1, limits=FAST)
    assert [lb.status for lb in run.labels] == [Status.REJECTED, Status.CORRECT]
