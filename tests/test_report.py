"""The research study, its renderers, `auditor report`, and the HTML in real headless Chromium."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from auditor.errors import InputError
from auditor.resampling import TaskCounts, summarize_corpus
from auditor.study.analysis import StudyInput, build_study, feature_section, style_rows
from auditor.study.figures import make_figures
from auditor.study.fit import fit_line
from auditor.study.paper import HUMANEVAL_PLUS, WORKED_EXAMPLE
from auditor.study.render import render_html, render_json, render_markdown
from auditor.study.sections import sections
from auditor.types import FeatureTable, Label, Status
from tests.test_resampling import make_labels

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _labels(seed: int, n_tasks: int = 12, n: int = 10, prefix: str = "") -> tuple[Label, ...]:
    rng = np.random.default_rng(seed)
    tasks = []
    for _ in range(n_tasks):
        b = int(rng.integers(0, n + 1))
        tasks.append((n, b, int(rng.integers(0, b + 1))))
    return tuple(make_labels(tasks))


def _scores(labels: tuple[Label, ...], seed: int) -> dict[tuple[str, str], float]:
    rng = np.random.default_rng(seed)
    return {
        (lb.task_id, lb.sample_id): float(rng.random())
        + (0.5 if lb.status is Status.FALSE_POSITIVE else 0)
        for lb in labels
    }


@pytest.fixture(scope="module")
def study():  # type: ignore[no-untyped-def]
    a, b = _labels(1), _labels(2)
    codes = [
        frozenset({"AUD101"}) if lb.status is Status.FALSE_POSITIVE else frozenset() for lb in a
    ]
    return build_study(
        [StudyInput("alpha", a, scores=_scores(a, 3), model="A"), StudyInput("beta", b)],
        costs=(0.5, 1, 2, 4),
        seed=5,
        n_boot=100,
        style_codes={"alpha": codes},
        style_groups={"AUD1": "style family", "AUD3": "test-gaming family"},
    )


@pytest.fixture(scope="module")
def figures(study):  # type: ignore[no-untyped-def]
    return make_figures(study)


# ------------------------------------------------------------------ pieces


def test_paper_points_reproduce_the_published_fit() -> None:
    paper = HUMANEVAL_PLUS
    fit = fit_line([p.pass1 for p in paper.points], [p.ceiling for p in paper.points])
    assert fit is not None and fit.n == 17
    assert round(fit.slope, 2) == paper.fit.slope
    assert round(fit.intercept, 2) == paper.fit.intercept
    assert round(fit.r2, 2) == paper.fit.r2


def test_worked_example_reproduces_the_published_k_opt() -> None:
    # the two-type section says "this model gives the same": it must stay true of the data
    from auditor.resampling import two_type_optimum

    ex = WORKED_EXAMPLE
    assert tuple(two_type_optimum(ex.params, c).k_opt for c in ex.costs) == ex.k_opt


def test_fit_line_exact_and_degenerate() -> None:
    fit = fit_line([0.1, 0.5, 0.9], [0.3, 0.5, 0.7])
    assert fit is not None and math.isclose(fit.slope, 0.5) and math.isclose(fit.intercept, 0.25)
    assert math.isclose(fit.r2, 1.0)
    assert fit_line([0.4], [0.7]) is None
    assert fit_line([0.4, 0.4], [0.7, 0.8]) is None


def test_style_rows_by_hand() -> None:
    # task A: 2 correct (one with a style finding), 2 FP (both with); task B: 1 correct, 1 FP (clean)
    labels = make_labels([(4, 4, 2), (3, 2, 1)])
    codes = [
        frozenset(),
        frozenset({"AUD102"}),
        frozenset({"AUD101"}),
        frozenset({"AUD103", "AUD301"}),
        frozenset(),
        frozenset(),
        frozenset(),
    ]
    rows = style_rows(
        labels, codes, {"AUD1": "style", "AUD3": "gaming"}, rng=np.random.default_rng(0), n_boot=200
    )
    style, gaming = rows
    assert math.isclose(style.correct.value, 2 / 3)
    assert math.isclose(style.fp.value, 1 / 3)
    assert math.isclose(style.weak.value, 3 / 6)
    assert math.isclose(style.diff.value, 1 / 3)
    assert math.isclose(gaming.fp.value, 2 / 3) and gaming.correct.value == 1.0
    assert style.n_fp == 3 and style.n_correct == 3
    # within task A: 1/2 - 0/2; within task B: 1 - 1; mean over the two tasks
    assert math.isclose(style.within.value, 0.25) and style.n_tasks_both == 2
    assert style.correct.lo <= style.correct.value <= style.correct.hi


def test_feature_section_ranks_by_within_task_auc() -> None:
    labels = make_labels([(4, 4, 2), (4, 4, 2)])
    statuses = tuple(lb.status for lb in labels)
    fp = np.array([s is Status.FALSE_POSITIVE for s in statuses], float)
    values = np.column_stack([fp * 3 + 1, np.arange(8.0) % 2, np.ones(8)])
    table = FeatureTable(
        keys=tuple((lb.task_id, lb.sample_id, lb.solution_sha256) for lb in labels),
        columns=("rules.AUD301", "ast.noise", "ast.const"),
        values=values,
        schema_version="1",
        schema_hash="x",
        labels=statuses,
    )
    sec = feature_section("toy", table)
    assert sec is not None and sec.n_fp == 4 and sec.n_correct == 4
    assert sec.rows[0].column == "rules.AUD301" and sec.rows[0].auc == 1.0
    assert sec.rows[0].n_groups == 2
    assert "ast.const" not in [r.column for r in sec.rows]  # constant columns carry no signal


# ------------------------------------------------------------------- study


def test_study_numbers_match_resampling(study) -> None:  # type: ignore[no-untyped-def]
    a = study.corpora[0]
    want = summarize_corpus(
        TaskCounts.from_labels(_labels(1)), (0.5, 1, 2, 4), rng=np.random.default_rng(0), n_boot=100
    )
    assert a.summary.pass1.value == pytest.approx(want.pass1.value)
    assert a.summary.ceiling.value == pytest.approx(want.ceiling.value)
    assert [e.value for e in a.summary.k_opt] == [e.value for e in want.k_opt]
    assert a.auditor is not None and study.corpora[1].auditor is None
    assert a.style is not None and study.corpora[1].style is None
    assert study.fit is not None and study.fit.n == 2


def test_study_is_reproducible_from_seed() -> None:
    a = _labels(4)
    one = render_json(build_study([StudyInput("x", a)], seed=9, n_boot=50))
    two = render_json(build_study([StudyInput("x", a)], seed=9, n_boot=50))
    assert one == two


def test_render_json(study) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(render_json(study))
    assert doc["schema"] == "auditor.study/1"
    assert [c["name"] for c in doc["corpora"]] == ["alpha", "beta"]
    alpha = doc["corpora"][0]
    assert set(alpha["curves"]["utility"]) == {"0.5", "1.0", "2.0", "4.0"}
    assert len(alpha["curves"]["k"]) == 10
    assert alpha["auditor"]["threshold_sweep"]["thresholds"][-1] is None  # inf -> null
    assert alpha["style"][0]["family"] == "AUD1"
    assert doc["paper"]["fit"] == {"slope": 0.22, "intercept": 0.72, "r2": 0.89, "n": 17}
    assert len(doc["paper"]["points"]) == 17


def test_render_markdown_sections_and_tables(study) -> None:  # type: ignore[no-untyped-def]
    md = render_markdown(study, {"ceiling.png": "figures/ceiling.png"})
    for title in (
        "## Per model",
        "## Single-sample accuracy vs. resampling ceiling",
        "## Utility against k",
        "## False positives by first-pass draw",
        "## The paper's two-type model",
        "## Style adherence",
        "## What the auditor changes",
    ):
        assert title in md
    assert "![Single-sample accuracy vs. resampling ceiling](figures/ceiling.png)" in md
    assert "figures/utility.png" not in md  # only linked figures are referenced
    s = study.corpora[0].summary
    assert f"{s.pass1.value:.3f} [{s.pass1.lo:.3f}, {s.pass1.hi:.3f}]" in md
    assert "Skipped: no feature table was given" in md
    # every table row has as many cells as its header
    for sec in sections(study):
        assert all(len(r) == len(sec.headers) for r in sec.rows), sec.key


def test_figures_are_pngs(figures) -> None:  # type: ignore[no-untyped-def]
    figs = figures
    assert set(figs) == {
        "ceiling.png",
        "utility.png",
        "first_pass.png",
        "two_type.png",
        "style.png",
        "auditor.png",
    }
    for data in figs.values():
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_render_html_embeds_figures(study, figures) -> None:  # type: ignore[no-untyped-def]
    html = render_html(study, figures)
    assert html.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 6
    assert "http://" not in html and "https://" not in html  # self-contained
    assert "&lt;" not in html.split("<body>")[0]


# ------------------------------------------------------------------- CLI


def _write(dirpath: Path, labels: tuple[Label, ...]) -> Path:
    dirpath.mkdir(parents=True, exist_ok=True)
    (dirpath / "labels.jsonl").write_text(
        "".join(json.dumps(lb.to_json()) + "\n" for lb in labels), encoding="utf-8"
    )
    return dirpath


def test_report_cli_writes_all_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    a = _write(tmp_path / "alpha", _labels(1))
    b = _write(tmp_path / "beta", _labels(2))
    scores = tmp_path / "s.jsonl"
    scores.write_text(
        "".join(
            json.dumps({"task_id": t, "sample_id": s, "risk": r}) + "\n"
            for (t, s), r in _scores(_labels(1), 0).items()
        )
    )
    out = tmp_path / "out"
    code = main(
        ["report", str(a), str(b), "-o", str(out), "--scores", f"alpha={scores}", "--n-boot", "50"]
    )
    assert code == 0, capsys.readouterr().err
    assert {p.name for p in out.iterdir()} == {"index.html", "report.md", "report.json", "figures"}
    figs = {p.name for p in (out / "figures").iterdir()}
    assert {"ceiling.png", "utility.png", "first_pass.png", "auditor.png"} <= figs
    md = (out / "report.md").read_text()
    for name in figs:
        assert f"figures/{name}" in md
    doc = json.loads((out / "report.json").read_text())
    assert doc["corpora"][0]["auditor"] is not None and doc["corpora"][1]["auditor"] is None


def test_report_command_writes_what_the_api_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor import api
    from auditor.cli import main

    a = _write(tmp_path / "alpha", _labels(1))
    b = _write(tmp_path / "beta", _labels(2))
    out = tmp_path / "out"
    assert main(["report", str(a), str(b), "-o", str(out), "--n-boot", "20", "--no-html"]) == 0
    files = api.report([a, b], api.ReportOptions(n_boot=20, html=False))
    written = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    assert f"wrote {len(files)} files" in capsys.readouterr().out
    with pytest.raises(InputError, match="corpus names must differ"):
        api.report([a, a])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scores", "gamma=x.jsonl"], "no corpus named 'gamma'"),
        (["--scores", "x.jsonl"], "with several corpora write NAME=FILE"),
        (["--cost", "1,-2"], "cost ratio '-2'"),
        (["--n-boot", "2"], "--n-boot must be at least 10"),
        (["--jobs", "0"], "'--jobs': 0 is not in the range x>=1"),
        (["--jobs", "-1"], "'--jobs': -1 is not in the range x>=1"),
        (["--seed", "-1"], "'--seed': -1 is not in the range x>=0"),  # was exit 3 (numpy)
    ],
)
def test_report_cli_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from auditor.cli import main

    a = _write(tmp_path / "alpha", _labels(1))
    b = _write(tmp_path / "beta", _labels(2))
    code = main(["report", str(a), str(b), "-o", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err
    assert not (tmp_path / "out").exists()  # nothing written on error


def test_report_cli_no_weak_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    a = _write(tmp_path / "alpha", tuple(make_labels([(3, 0, 0)])))
    assert main(["report", str(a), "-o", str(tmp_path / "o")]) == 2
    assert "alpha: no candidate passes the weak tests" in capsys.readouterr().err


def test_report_cli_refuses_its_output_before_the_analyses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.cli import main

    def analyses(*args: object, **kwargs: object) -> None:
        raise AssertionError("the analyses ran before the output was checked")

    monkeypatch.setattr("auditor.study.report.report", analyses)
    a = _write(tmp_path / "alpha", _labels(1))
    (tmp_path / "file").write_text("x")
    assert main(["report", str(a), "-o", str(tmp_path / "file" / "out")]) == 2
    assert "Not a directory" in capsys.readouterr().err


def test_report_help_names_the_features_command(capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    assert main(["report", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # help text is wrapped
    assert "`auditor features`" in out and "extract" not in out


# ---------------------------------------------------------------- browser

_PROBE = """<script>
(function () {
  var root = document.documentElement, errors = [];
  function note(msg) { errors.push(String(msg)); root.setAttribute('data-errors', errors.join(' | ')); }
  var orig = console.error;
  console.error = function () { note('console.error: ' + Array.prototype.join.call(arguments, ' ')); orig.apply(console, arguments); };
  window.addEventListener('error', function (e) {
    note(e.target && e.target.src ? 'failed to load ' + e.target.src : 'error: ' + e.message);
  }, true);
  window.addEventListener('load', function () {
    var imgs = Array.prototype.slice.call(document.images);
    var bad = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
    root.setAttribute('data-images', String(imgs.length));
    root.setAttribute('data-bad-images', String(bad));
    root.setAttribute('data-errors', errors.join(' | '));
  });
})();
</script>"""


def _chromium(args: list[str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    base = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(
        [*base, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def probe_page(html: str, tmp_path: Path) -> dict[str, object]:
    """Load `html` with a probe injected first in <head>: console errors, failed loads, images."""
    page = tmp_path / "probe.html"
    page.write_text(html.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    res = _chromium(["--virtual-time-budget=10000", "--dump-dom", page.as_uri()])
    root = re.search(r"<html[^>]*>", res.stdout)
    assert root is not None, res.stderr[-2000:]
    attrs = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', root.group(0)))
    console = re.findall(r"CONSOLE[^\]]*\] (.*)", res.stderr)
    return {
        "images": int(attrs.get("data-images", "-1")),
        "bad_images": int(attrs.get("data-bad-images", "-1")),
        "errors": attrs.get("data-errors", ""),
        "console": console,
    }


def screenshot_variance(html_file: Path, tmp_path: Path) -> float:
    import matplotlib.image as mpimg

    shot = tmp_path / "shot.png"
    _chromium(
        [f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", html_file.as_uri()]
    )
    assert shot.is_file() and shot.stat().st_size > 0
    pixels = mpimg.imread(shot)
    return float(np.var(pixels[..., :3]))


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")


@pytest.mark.browser
@needs_chromium
def test_probe_detects_broken_pages(tmp_path: Path) -> None:
    """The checks below can fail: a broken page is caught."""
    bad = '<!DOCTYPE html><html><head></head><body><img src="nope.png"><script>console.error("boom")</script></body></html>'
    got = probe_page(bad, tmp_path)
    assert got["images"] == 1 and got["bad_images"] == 1
    assert "boom" in str(got["errors"]) and "nope.png" in str(got["errors"])
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body style='background:#fff'></body></html>")
    assert screenshot_variance(blank, tmp_path) < 1e-6


@pytest.mark.browser
@needs_chromium
def test_report_html_in_chromium(study, figures, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    html = render_html(study, figures)
    got = probe_page(html, tmp_path)
    assert got["errors"] == "" and got["console"] == []
    assert got["images"] == 6 and got["bad_images"] == 0
    page = tmp_path / "index.html"
    page.write_text(html, encoding="utf-8")
    assert screenshot_variance(page, tmp_path) > 1e-3


# ------------------------------------------------------------- toy corpus


def _toy_label_dir(repo: Path, out: Path) -> Path:
    """A label OUTDIR for the toy corpus built from its hand-checked expected statuses."""
    from auditor.corpus.benchmarks import load_benchmark
    from auditor.corpus.samples import read_samples
    from auditor.types import Outcome

    toy = repo / "corpora" / "toy"
    tasks = load_benchmark(str(toy / "benchmark.jsonl"))
    expected = json.loads((toy / "expected.json").read_text())
    rows = []
    for c in read_samples(toy / "samples.jsonl", tasks).candidates:
        st = Status(expected[c.task_id][c.sample_id])
        weak = Outcome.FAIL if st is Status.REJECTED else Outcome.PASS
        strong = Outcome.PASS if st is Status.CORRECT else Outcome.FAIL
        rows.append(json.dumps(Label(c.task_id, c.sample_id, c.sha256, weak, strong, st).to_json()))
    out.mkdir(parents=True)
    (out / "labels.jsonl").write_text("\n".join(rows) + "\n")
    summary = {
        "schema": "auditor.labels/1",
        "samples": {"file": str(toy / "samples.jsonl"), "data_relpath": None, "sha256": None},
        "benchmark": str(toy / "benchmark.jsonl"),
    }
    (out / "summary.json").write_text(json.dumps(summary))
    return out


def test_report_on_toy_corpus_with_style(
    repo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    labels = _toy_label_dir(repo_root, tmp_path / "toy")
    out = tmp_path / "out"
    assert main(["report", str(labels), "-o", str(out), "--n-boot", "50", "--jobs", "1"]) == 0
    doc = json.loads((out / "report.json").read_text())
    (toy,) = doc["corpora"]
    assert toy["summary"]["n_tasks"] == 4 and toy["summary"]["n_samples"] == 16
    # 6 false positives and 6 correct solutions among 12 weak passes (expected.json)
    assert toy["summary"]["fp_share"]["value"] == pytest.approx(0.5)
    families = {r["family"]: r for r in toy["style"]}
    assert {"AUD1", "AUD2", "AUD3", "AUD4"} <= set(families)
    assert all(r["n_fp"] == 6 and r["n_correct"] == 6 for r in toy["style"])
    # the literal-lookup false positive is flagged by a test-gaming rule; no correct one is
    assert families["AUD3"]["adherence_correct"]["value"] == 1.0
    assert families["AUD3"]["adherence_fp"]["value"] < 1.0
    assert (out / "figures" / "style.png").is_file()
    # no solution text leaks into the outputs
    sample = json.loads((repo_root / "corpora/toy/samples.jsonl").read_text().splitlines()[1])
    body = max(sample["solution"].splitlines(), key=len).strip()
    for name in ("report.md", "report.json", "index.html"):
        assert body not in (out / name).read_text()


def test_false_negative_tasks_are_dropped_from_every_corpus() -> None:
    from auditor.study.analysis import false_negative_tasks
    from auditor.types import Outcome

    base = list(make_labels([(4, 2, 1), (4, 3, 2)]))
    # in corpus a, task T/0 gets two candidates passing strong but failing weak: 3 strong > 2 weak
    odd = [
        Label("T/0", f"x{i}", f"x{i}", Outcome.FAIL, Outcome.PASS, Status.REJECTED)
        for i in range(2)
    ]
    a = tuple(base + odd)
    assert false_negative_tasks(a) == {"T/0"}
    b = tuple(make_labels([(4, 2, 1), (4, 3, 2)]))
    study = build_study([StudyInput("a", a), StudyInput("b", b)], n_boot=20)
    assert [c.summary.n_tasks for c in study.corpora] == [1, 1]
    assert any("Excluded 1 false-negative task" in n for n in study.notes)
    kept = build_study(
        [StudyInput("a", a), StudyInput("b", b)], n_boot=20, exclude_false_negatives=False
    )
    assert [c.summary.n_tasks for c in kept.corpora] == [2, 2]


def test_two_type_section_reproduces_worked_example(study) -> None:  # type: ignore[no-untyped-def]
    (sec,) = [s for s in sections(study) if s.key == "two_type"]
    worked = sec.rows[-1]
    assert worked[0].startswith("paper's worked example")
    # at costs 0.5 / 1 / 2 / 4: below the boundary (0.646) keep sampling, then 2, 1, and at 4
    # the first draw still pays: 0.56 (0.874 - 4 * 0.031) + 0.44 (0.138 - 4 * 0.214) = 0.104 > 0
    assert worked[6:] == ("keep sampling", "2", "1", "1")


# ------------------------------------------------------------------ curves


def test_curves_renderers_are_pure_and_cover_every_row() -> None:
    import csv
    import io

    from auditor.study.curves import CurvesFormat, compute, render

    labels = _labels(4)
    run = compute(labels, (0.5, 2), k_max=6, scores=_scores(labels, 1), thresholds=(0.7, math.inf))
    table = list(csv.DictReader(io.StringIO(render(run, CurvesFormat.CSV))))
    # first pass + re-rank: 2 costs x 6 k each; the filter: 2 thresholds x 2 costs x 6 k
    assert [r["policy"] for r in table].count("first_pass") == 12
    assert [r["policy"] for r in table].count("auditor_rerank") == 12
    assert {r["threshold"] for r in table if r["policy"] == "auditor_filter"} == {"0.7", "inf"}
    assert len(table) == 12 + 24 + 12
    doc = json.loads(render(run, CurvesFormat.JSON))
    assert doc["auditor"]["threshold_sweep"]["thresholds"] == [0.7, None]
    text = render(run, CurvesFormat.TEXT)
    assert text.startswith(f": {len({lb.task_id for lb in labels})} tasks") and "re-rank" in text
    assert render(run, CurvesFormat.TEXT) == text  # same run, same text


# ------------------------------------------------- per-benchmark fits, filter losses


def _renamed(labels: tuple[Label, ...], prefix: str) -> tuple[Label, ...]:
    """The same labels with task ids moved to another benchmark ("T/3" -> "Mbpp/3")."""
    from dataclasses import replace

    return tuple(replace(lb, task_id=prefix + lb.task_id.split("/")[1]) for lb in labels)


def _mixed_labels() -> tuple[Label, ...]:
    """A corpus of 12 HumanEval+ and 20 MBPP+ tasks."""
    return _renamed(_labels(14, n_tasks=12), "HumanEval/1") + _renamed(
        _labels(15, n_tasks=20), "Mbpp/"
    )


@pytest.fixture(scope="module")
def bench_study():  # type: ignore[no-untyped-def]
    he = [_renamed(_labels(s, n_tasks=15), "HumanEval/") for s in (11, 12, 13)]
    mixed = _mixed_labels()
    inputs = [StudyInput(f"he{i}", lb) for i, lb in enumerate(he)]
    inputs.append(StudyInput("mixed", mixed, scores=_scores(mixed, 2)))
    return build_study(inputs, seed=1, n_boot=50, exclude_false_negatives=False)


def test_fit_uncertainty_matches_scipy() -> None:
    from scipy import stats

    x, y = [0.1, 0.3, 0.5, 0.9], [0.5, 0.7, 0.6, 0.9]
    fit, ref = fit_line(x, y), stats.linregress(x, y)
    assert fit is not None
    assert math.isclose(fit.p_value, ref.pvalue, rel_tol=1e-9)
    half = stats.t.ppf(0.975, 2) * ref.stderr
    assert math.isclose(fit.slope_lo, ref.slope - half) and math.isclose(
        fit.slope_hi, ref.slope + half
    )
    assert math.isnan(fit_line([0.1, 0.5], [0.2, 0.4]).p_value)  # type: ignore[union-attr]


def test_points_and_lines_are_per_benchmark(bench_study) -> None:  # type: ignore[no-untyped-def]
    by = {bf.benchmark: bf for bf in bench_study.benchmark_fits}
    assert list(by) == ["HumanEval+", "MBPP+"]
    assert [p.corpus for p in by["HumanEval+"].points] == ["he0", "he1", "he2", "mixed"]
    assert [p.corpus for p in by["MBPP+"].points] == ["mixed"] and by["MBPP+"].fit is None
    mixed = next(c for c in bench_study.corpora if c.name == "mixed")
    assert mixed.task_mix == (("MBPP+", 20), ("HumanEval+", 12))
    # a mixed corpus's point uses that benchmark's tasks only
    mbpp = [lb for lb in _mixed_labels() if lb.task_id.startswith("Mbpp/")]
    counts = TaskCounts.from_labels(mbpp)
    point = by["MBPP+"].points[0]
    assert point.n_tasks == 20 and math.isclose(point.pass1.value, counts.pass1.mean())
    cond = counts.cond_accuracy[counts.b > 0]
    assert math.isclose(point.ceiling.value, cond.mean())
    # a single-benchmark corpus's point is its per-model row
    he0 = bench_study.corpora[0]
    assert by["HumanEval+"].points[0].pass1 == he0.summary.pass1
    line = by["HumanEval+"].fit
    ref = fit_line(
        [p.pass1.value for p in by["HumanEval+"].points],
        [p.ceiling.value for p in by["HumanEval+"].points],
    )
    assert line == ref and line is not None and line.n == 4


def test_ceiling_section_states_what_few_models_cannot_support(bench_study) -> None:  # type: ignore[no-untyped-def]
    sec = next(s for s in sections(bench_study) if s.key == "ceiling")
    text = " ".join(sec.text)
    he = next(bf for bf in bench_study.benchmark_fits if bf.benchmark == "HumanEval+")
    assert he.fit is not None
    assert "n = 4 models, 2 residual degrees of freedom" in text
    assert f"[{he.fit.slope_lo:.2f}, {he.fit.slope_hi:.2f}]" in text
    assert "mixed: mixed (20 MBPP+, 12 HumanEval+)" in text
    assert "Our MBPP+ fit: only 1 model (mixed)" in text
    rows = {(r[0], r[1]): r for r in sec.rows}
    assert rows[("paper", "HumanEval+")][2] == "0.22" and rows[("paper", "MBPP+")][6] == "10"
    assert rows[("ours", "MBPP+")][2] == "n/a"
    assert ("ours", "all tasks (mixed benchmarks)") in rows
    doc = json.loads(render_json(bench_study))
    assert [b["benchmark"] for b in doc["benchmark_fits"]] == ["HumanEval+", "MBPP+"]
    assert doc["corpora"][3]["task_mix"] == {"MBPP+": 20, "HumanEval+": 12}


def test_filter_rows_show_tasks_lost_and_accuracy_over_all_tasks(bench_study) -> None:  # type: ignore[no-untyped-def]
    sec = next(s for s in sections(bench_study) if s.key == "auditor")
    labels = _mixed_labels()
    risk = _scores(labels, 2)
    solvable = {lb.task_id for lb in labels if lb.status is Status.CORRECT}
    filters = [r for r in sec.rows if r[1].startswith("filter risk < ")]
    assert filters and sec.headers[5:7] == ("solvable tasks lost", "accuracy @ K (all tasks)")
    sweep = bench_study.corpora[3].auditor.sweep
    for row in filters:
        h = next(i for i, t in enumerate(sweep.thresholds) if row[1] == f"filter risk < {t:.3g}")
        t = sweep.thresholds[h]
        kept = {
            lb.task_id
            for lb in labels
            if lb.status is Status.CORRECT and risk[(lb.task_id, lb.sample_id)] < t
        }
        lost = len(solvable - kept)
        assert row[5] == f"{lost / len(solvable):.3f} ({lost}/{len(solvable)})"
        # at the largest k every task with a kept weak pass answers: accuracy = mean c'/b'
        acc = []
        for task in {lb.task_id for lb in labels}:
            weak = [
                lb
                for lb in labels
                if lb.task_id == task
                and lb.weak_status.value == "pass"
                and risk[(lb.task_id, lb.sample_id)] < t
            ]
            good = [lb for lb in weak if lb.status is Status.CORRECT]
            acc.append(len(good) / len(weak) if weak else 0.0)
        assert abs(float(row[6]) - np.mean(acc)) <= 0.0005 + 1e-12
    assert sec.rows[0][1] == "no auditor" and sec.rows[0][5].startswith("0.000 (0/")
