"""read_labels and load_labeled over label OUTDIRs built from the toy corpus."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from auditor.corpus.benchmarks import load_benchmark
from auditor.corpus.labels import LabeledCorpus, load_labeled, read_labels
from auditor.corpus.samples import read_samples
from auditor.errors import DataError, InputError
from auditor.types import Label, Outcome, Status

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "corpora" / "toy"
OUTCOMES = {
    "correct": (Outcome.PASS, Outcome.PASS),
    "false_positive": (Outcome.PASS, Outcome.FAIL),
    "rejected": (Outcome.FAIL, Outcome.FAIL),
}


def _toy_labels(samples: Path = TOY / "samples.jsonl") -> list[Label]:
    """Labels of the toy candidates from expected.json, keyed by sanitized sha256."""
    expected = json.loads((TOY / "expected.json").read_text())
    tasks = load_benchmark(str(TOY / "benchmark.jsonl"))
    labels = []
    for cand in read_samples(samples, tasks).candidates:
        weak, strong = OUTCOMES[expected[cand.task_id][cand.sample_id]]
        labels.append(
            Label(
                cand.task_id,
                cand.sample_id,
                cand.sha256,
                weak,
                strong,
                Status.from_outcomes(weak, strong),
            )
        )
    return labels


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outdir(
    root: Path,
    labels: list[Label],
    *,
    file: str | None = None,
    data_relpath: str | None = None,
    sha256: str | None = None,
    benchmark: str = str(TOY / "benchmark.jsonl"),
    summary: bool = True,
) -> Path:
    out = root / "toy-labels"
    out.mkdir()
    (out / "labels.jsonl").write_text("".join(json.dumps(lab.to_json()) + "\n" for lab in labels))
    if summary:
        doc = {
            "schema": "auditor.labels/1",
            "samples": {"file": file, "data_relpath": data_relpath, "sha256": sha256},
            "benchmark": benchmark,
            "weak_tests": "base_input",
            "overall": {},
            "tasks": {},
            "false_negative_tasks": [],
        }
        (out / "summary.json").write_text(json.dumps(doc))
    return out


# ------------------------------------------------------------------ read_labels


def test_read_labels_file_dir_and_gzip(tmp_path: Path) -> None:
    labels = _toy_labels()
    out = _outdir(tmp_path, labels)
    assert read_labels(out) == tuple(labels)
    assert read_labels(out / "labels.jsonl") == tuple(labels)
    gz = tmp_path / "labels.jsonl.gz"
    gz.write_bytes(gzip.compress((out / "labels.jsonl").read_bytes()))
    assert read_labels(gz) == tuple(labels)
    assert [lab.status for lab in labels].count(Status.FALSE_POSITIVE) == 6


def test_read_labels_status_defaults_from_outcomes(tmp_path: Path) -> None:
    row = {
        "task_id": "Toy/0",
        "sample_id": 1,
        "solution_sha256": "ab",
        "weak_status": "pass",
        "strong_status": "fail",
    }
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (label,) = read_labels(path)
    assert label.status is Status.FALSE_POSITIVE
    assert label.sample_id == "1"


_ROW = {
    "task_id": "T",
    "sample_id": "0",
    "solution_sha256": "x",
    "weak_status": "pass",
    "strong_status": "fail",
}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"task_id": ', r"labels\.jsonl:2: malformed JSON"),
        ('{"task_id": "Toy/0"}', r"labels\.jsonl:2: label without field 'weak_status'"),
        (
            '{"task_id": "T", "sample_id": "0", "solution_sha256": "x", "weak_status": "ok", "strong_status": "pass"}',
            r"labels\.jsonl:2: bad label",
        ),
        *(  # wrong field types reached `report` as an internal error (review, s18)
            (json.dumps(_ROW | bad), rf"labels\.jsonl:2: bad label \({why}")
            for bad, why in [
                ({"model": 5}, "model must be str or null, got int"),
                ({"task_id": ["x"]}, "task_id must be str, got list"),
                ({"solution_sha256": None}, "solution_sha256 must be str, got null"),
                ({"first_fail": "3"}, "first_fail must be int or null, got str"),
                ({"sample_id": True}, "sample_id must be str or int, got bool"),
                ({"sample_id": " "}, "sample_id must not be blank, got ' '"),
                ({"task_id": ""}, "task_id must not be blank, got ''"),
                ({"status": "correct"}, "status 'correct' contradicts its outcomes"),
            ]
        ),
    ],
)
def test_read_labels_bad_line(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps(_toy_labels()[0].to_json())
    path = tmp_path / "labels.jsonl"
    path.write_text(f"{good}\n{line}\n")
    with pytest.raises(InputError, match=message) as exc:
        read_labels(path)
    assert "\n" not in str(exc.value)


def test_read_labels_empty_and_missing(tmp_path: Path) -> None:
    (tmp_path / "labels.jsonl").write_text("")
    with pytest.raises(InputError, match="empty labels file"):
        read_labels(tmp_path)
    with pytest.raises(InputError, match="no such labels file"):
        read_labels(tmp_path / "nope")


# ------------------------------------------------------------------ load_labeled


def _check_joined(corpus: LabeledCorpus, labels: list[Label]) -> None:
    assert corpus.labels == tuple(labels)
    assert corpus.candidates is not None
    assert corpus.tasks is not None and set(corpus.tasks) == {f"Toy/{i}" for i in range(4)}
    for label, cand in zip(corpus.labels, corpus.candidates, strict=True):
        assert (cand.task_id, cand.sample_id, cand.sha256) == (
            label.task_id,
            label.sample_id,
            label.solution_sha256,
        )


def test_load_labeled_from_summary_file(tmp_path: Path) -> None:
    labels = _toy_labels()
    labels.reverse()  # candidates follow label order, not samples order
    samples = TOY / "samples.jsonl"
    out = _outdir(tmp_path, labels, file=str(samples), sha256=_sha(samples))
    corpus = load_labeled(out)
    assert corpus.name == "toy-labels"
    _check_joined(corpus, labels)
    assert load_labeled(out / "labels.jsonl").candidates == corpus.candidates


def test_load_labeled_prefers_data_relpath(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "samples").mkdir(parents=True)
    gz = data / "samples" / "toy.jsonl.gz"
    gz.write_bytes(gzip.compress((TOY / "samples.jsonl").read_bytes()))
    labels = _toy_labels()
    out = _outdir(
        tmp_path,
        labels,
        file="/gone/toy.jsonl.gz",
        data_relpath="samples/toy.jsonl.gz",
        sha256=_sha(gz),
    )
    _check_joined(load_labeled(out, data_dir=data), labels)


def test_load_labeled_data_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    (data / "samples").mkdir(parents=True)
    shutil.copy(TOY / "samples.jsonl", data / "samples" / "toy.jsonl")
    labels = _toy_labels()
    out = _outdir(tmp_path, labels, data_relpath="samples/toy.jsonl")
    monkeypatch.setenv("AUDITOR_DATA_DIR", str(data))
    _check_joined(load_labeled(out), labels)


def test_load_labeled_without_samples(tmp_path: Path) -> None:
    labels = _toy_labels()
    out = _outdir(tmp_path, labels, file="/gone/toy.jsonl", data_relpath="samples/toy.jsonl")
    corpus = load_labeled(out, data_dir=tmp_path / "empty-data")
    assert corpus.labels == tuple(labels)
    assert corpus.candidates is None and corpus.tasks is None


def test_load_labeled_without_summary(tmp_path: Path) -> None:
    labels = _toy_labels()
    corpus = load_labeled(_outdir(tmp_path, labels, summary=False))
    assert corpus.labels == tuple(labels)
    assert corpus.candidates is None and corpus.tasks is None


def test_load_labeled_explicit_samples(tmp_path: Path) -> None:
    labels = _toy_labels()
    out = _outdir(tmp_path, labels, file="/gone/toy.jsonl")
    _check_joined(load_labeled(out, samples=TOY / "samples.jsonl"), labels)
    with pytest.raises(InputError, match="no such samples"):
        load_labeled(out, samples=tmp_path / "missing.jsonl")


def test_load_labeled_samples_changed(tmp_path: Path) -> None:
    out = _outdir(tmp_path, _toy_labels(), file=str(TOY / "samples.jsonl"), sha256="0" * 64)
    with pytest.raises(InputError, match="sha256 differs"):
        load_labeled(out)


def test_load_labeled_solution_mismatch(tmp_path: Path) -> None:
    labels = _toy_labels()
    labels[3] = Label(
        labels[3].task_id, labels[3].sample_id, "f" * 64, Outcome.PASS, Outcome.PASS, Status.CORRECT
    )
    out = _outdir(tmp_path, labels, file=str(TOY / "samples.jsonl"))
    with pytest.raises(InputError, match=r"1 of 16 labels do not match .* \(first: Toy/0 #3\)"):
        load_labeled(out)


def test_load_labeled_accepts_raw_sha(tmp_path: Path) -> None:
    # Labels made with sanitizing off are keyed by the raw program's sha256.
    tasks = load_benchmark(str(TOY / "benchmark.jsonl"))
    raw = read_samples(TOY / "samples.jsonl", tasks, sanitize=False).candidates
    labels = [
        Label(c.task_id, c.sample_id, c.sha256, Outcome.PASS, Outcome.PASS, Status.CORRECT)
        for c in raw
    ]
    out = _outdir(tmp_path, labels, file=str(TOY / "samples.jsonl"))
    corpus = load_labeled(out)
    assert corpus.candidates is not None
    assert [c.raw for c in corpus.candidates] == [c.code for c in raw]


def test_load_labeled_label_without_sample(tmp_path: Path) -> None:
    labels = _toy_labels()
    labels.append(Label("Toy/1", "99", "e" * 64, Outcome.PASS, Outcome.PASS, Status.CORRECT))
    out = _outdir(tmp_path, labels, file=str(TOY / "samples.jsonl"))
    with pytest.raises(InputError, match=r"1 labels have no sample \(first: Toy/1 #99\)"):
        load_labeled(out)


def test_load_labeled_mixed_benchmark(tmp_path: Path) -> None:
    """benchmark "auto": HumanEval and Mbpp task ids load both release files of the data dir."""
    rows = [json.loads(line) for line in (TOY / "benchmark.jsonl").read_text().splitlines()]
    rename = {"Toy/0": "HumanEval/0", "Toy/2": "Mbpp/2"}
    data = tmp_path / "data"
    (data / "benchmarks").mkdir(parents=True)
    releases = {
        "HumanEvalPlus-v0.1.10.jsonl.gz": [rows[0]],
        "MbppPlus-v0.2.0.jsonl.gz": [rows[2]],
    }
    for name, chosen in releases.items():
        text = "".join(json.dumps(r | {"task_id": rename[r["task_id"]]}) + "\n" for r in chosen)
        (data / "benchmarks" / name).write_bytes(gzip.compress(text.encode()))
    samples = tmp_path / "mixed.jsonl"
    lines = [json.loads(line) for line in (TOY / "samples.jsonl").read_text().splitlines()]
    samples.write_text(
        "".join(
            json.dumps(r | {"task_id": rename[r["task_id"]]}) + "\n"
            for r in lines
            if r["task_id"] in rename
        )
    )
    tasks = load_benchmark(str(TOY / "benchmark.jsonl"))
    cands = read_samples(
        samples, {rename[k]: v for k, v in tasks.items() if k in rename}
    ).candidates
    labels = [
        Label(c.task_id, c.sample_id, c.sha256, Outcome.PASS, Outcome.FAIL, Status.FALSE_POSITIVE)
        for c in cands
    ]
    out = _outdir(tmp_path, labels, file=str(samples), benchmark="auto")
    corpus = load_labeled(out, data_dir=data)
    assert corpus.tasks is not None and set(corpus.tasks) == {"HumanEval/0", "Mbpp/2"}
    assert corpus.candidates is not None and len(corpus.candidates) == 8
    with pytest.raises(DataError):
        load_labeled(out, data_dir=tmp_path / "no-data")


def test_load_labeled_resolves_an_older_relative_benchmark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OUTDIRs once recorded --benchmark as typed: relative to the OUTDIR's parent (the cwd
    of `label -o NAME`) or to the cwd; reading from elsewhere must still find it."""
    project = tmp_path / "project"
    (project / "bench").mkdir(parents=True)
    shutil.copy(TOY / "benchmark.jsonl", project / "bench" / "toy.jsonl")
    labels = _toy_labels()
    samples = TOY / "samples.jsonl"
    out = _outdir(project, labels, file=str(samples), benchmark="bench/toy.jsonl")
    monkeypatch.chdir(tmp_path)  # not where the OUTDIR was made
    _check_joined(load_labeled(out), labels)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(out, moved / "toy-labels")
    with pytest.raises(InputError, match=r"benchmark file it records \(bench/toy.jsonl\)"):
        load_labeled(moved / "toy-labels")  # named, not "unknown task id" in the samples
    monkeypatch.chdir(project)  # the cwd fallback
    _check_joined(load_labeled(moved / "toy-labels"), labels)


# ------------------------------------------------------------------ committed corpora

COMMITTED = ["codegen16b", "davinci002", "qwen25coder7b"]


@pytest.mark.integration
@pytest.mark.parametrize("name", COMMITTED)
def test_committed_labels_join_shared_samples(shared_corpora: Path, name: str) -> None:
    out = REPO / "corpora" / "labels" / name
    if not (out / "labels.jsonl").is_file():
        pytest.skip(f"{out} not committed yet")
    corpus = load_labeled(out, data_dir=shared_corpora)
    assert corpus.candidates is not None and len(corpus.candidates) == len(corpus.labels)
    assert corpus.tasks is not None
    assert all(lab.task_id in corpus.tasks for lab in corpus.labels)


def test_a_named_benchmark_overrides_the_recorded_one(tmp_path: Path) -> None:
    """Labels whose benchmark file moved load with `benchmark=` (features --benchmark)."""
    gone = str(tmp_path / "moved" / "benchmark.jsonl")
    out = _outdir(tmp_path, _toy_labels(), file=str(TOY / "samples.jsonl"), benchmark=gone)
    with pytest.raises(InputError, match="benchmark file it records"):
        load_labeled(out)
    _check_joined(load_labeled(out, benchmark=str(TOY / "benchmark.jsonl")), _toy_labels())
    from auditor.features.inputs import load_input

    got = load_input(out, benchmark=str(TOY / "benchmark.jsonl"))
    assert len(got.candidates) == len(_toy_labels()) and set(got.tasks) == {
        f"Toy/{i}" for i in range(4)
    }
