"""The classifier on synthetic features: fit, nested grouped CV, save/load, schema checks."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor import metrics
from auditor import model as M
from auditor.errors import ModelError
from auditor.model import families
from auditor.model.context import with_batch
from auditor.model.families import calibrated_part
from auditor.types import FeatureTable

COLUMNS = ("rules.a", "ruff.b", "radon.c", "rel.d_z", "rel.ref_nodes_ratio")


def synthetic(n_tasks: int = 16, per: int = 12, seed: int = 1) -> M.TrainingData:
    """Risk driven by rules.a (absolute) and rel.d_z (relative); the rest is noise."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"c:T{i}" for i in range(n_tasks)], per).astype(object)
    X = rng.normal(size=(n_tasks * per, len(COLUMNS)))
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-(2.0 * X[:, 0] + 1.5 * X[:, 3] - 0.5)))).astype(int)
    X[rng.random(X.shape) < 0.05] = np.nan
    corpus = np.array(["c"] * len(X), dtype=object)
    return M.TrainingData(COLUMNS, X, y, groups, corpus, "test/1", "s" * 16, {"ruff": "0"})


@pytest.fixture(scope="module")
def trained() -> M.TrainedModel:
    data = synthetic()
    info = [{"name": "c", "sha256": "d" * 64, "n": len(data.y), "fp": int(data.y.sum())}]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 10)  # speed; the families are compared all the same
        return M.fit(data, corpora=info, outer=2, inner=2, cv=("peers",))


def test_feature_sets_and_task_context() -> None:
    X = np.array([[1.0, 0, 2, 0, 0], [3.0, 0, np.nan, 0, 0], [5.0, 1, 4, 0, 0]])
    Xc, names = M.with_task_context(X, COLUMNS, np.array(["t", "t", "u"]))
    assert names[5:] == tuple(
        f"task.{s}.{c}" for s in ("mean", "std") for c in ("rules.a", "ruff.b", "radon.c")
    )
    np.testing.assert_allclose(Xc[:, 5], [2.0, 2.0, 5.0])  # mean of rules.a per task
    np.testing.assert_allclose(Xc[:, 7], [2.0, 2.0, 4.0])  # NaN ignored
    np.testing.assert_allclose(Xc[:, 8], [1.0, 1.0, 0.0])  # std of rules.a
    sets = M.feature_sets(names)
    assert len(sets["task"]) == len(names)
    assert "rel.ref_nodes_ratio" not in [names[i] for i in sets["peers"]]
    assert [names[i] for i in sets["solo"]] == ["rules.a", "ruff.b", "radon.c"]


def test_fit_learns_signal_and_records_cv(trained: M.TrainedModel) -> None:
    cv = trained.meta.cv["peers"]
    assert set(cv["families"]) == {"logreg", "hgb"}
    assert len(cv["chosen"]) == cv["folds"] == 2
    # the nested estimate sees a learnable signal on held-out tasks
    assert cv["nested"]["roc_auc"] > 0.75
    assert cv["nested"]["n_groups"] == 16
    assert set(trained.meta.families) == {"task", "peers", "solo"}


def test_each_estimator_is_one_refit_model_with_one_calibrator(
    trained: M.TrainedModel,
) -> None:
    # ensemble=False: the saved model holds one fitted pipeline per feature set, not one
    # per calibration fold (size and load time of the packaged model)
    for est in trained.estimators.values():
        assert calibrated_part(est).ensemble is False
        assert len(calibrated_part(est).calibrated_classifiers_) == 1


def test_group_splits_never_split_a_task() -> None:
    data = synthetic()
    for tr, te in M.group_splits(data.task_ids, 4):
        assert not set(data.batches[tr]) & set(data.batches[te])


def _table(
    data: M.TrainingData, keys: tuple[tuple[str, str, str], ...], hash_: str | None = None
) -> FeatureTable:
    return FeatureTable(
        keys, data.columns, data.X[: len(keys)], "test/1", hash_ or data.schema_hash
    )


def test_predict_risk_routes_rows_to_feature_sets(trained: M.TrainedModel) -> None:
    data = synthetic()
    keys = (("A", "0", ""), *(("B", str(i), "") for i in range(8)))
    table = _table(data, keys)
    X = table.values.copy()
    X[1:5, COLUMNS.index("rel.ref_nodes_ratio")] = np.nan  # no reference known for these
    table = FeatureTable(keys, COLUMNS, X, "test/1", data.schema_hash)
    risk = trained.predict_risk(table)
    assert risk.shape == (9,) and ((risk >= 0) & (risk <= 1)).all()
    Xb = with_batch(X, [k[0] for k in keys])
    expect = np.concatenate(
        [
            trained.estimators["solo"].predict_proba(Xb)[:1, 1],  # alone
            trained.estimators["peers"].predict_proba(Xb)[1:5, 1],  # peers, no task
            trained.estimators["task"].predict_proba(Xb)[5:, 1],  # peers and task
        ]
    )
    np.testing.assert_allclose(risk, expect)


def test_predict_risk_rejects_other_schema(trained: M.TrainedModel) -> None:
    data = synthetic()
    with pytest.raises(ModelError, match="retrain"):
        trained.predict_risk(_table(data, (("A", "0", ""),), hash_="other"))


def test_save_load_round_trip(trained: M.TrainedModel, tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    M.save_model(trained, path)
    loaded = M.load_model(path, check_schema=False)
    assert loaded.meta == trained.meta
    data = synthetic()
    table = _table(data, tuple(("B", str(i), "") for i in range(10)))
    np.testing.assert_array_equal(loaded.predict_risk(table), trained.predict_risk(table))
    # skops, not pickle: a zip with a JSON schema
    with zipfile.ZipFile(path) as zf:
        assert "schema.json" in zf.namelist()


def test_load_rejects_model_for_another_feature_schema(
    trained: M.TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "m.skops"
    M.save_model(trained, path)
    with pytest.raises(ModelError, match="feature schema"):
        M.load_model(path)


@pytest.mark.parametrize("predict_only", [False, True])
def test_load_names_an_older_model_format(
    trained: M.TrainedModel, tmp_path: Path, predict_only: bool
) -> None:
    """One clear line, from either reader. (The check comes before the estimators are
    built; the real model of format 1, whose export no longer fits the context, is what
    showed that order matters: it read "not a valid auditor model (ValueError)" before.)"""
    from dataclasses import replace

    # an older format whose context columns differ (one column more than its estimators')
    columns = (*trained.meta.columns, "rules.extra")
    old = replace(trained, meta=replace(trained.meta, format="auditor.model/1", columns=columns))
    path = tmp_path / "old.skops"
    M.save_model(old, path)
    with pytest.raises(ModelError, match=r"model format 'auditor.model/1', expected"):
        M.load_model(path, check_schema=False, predict_only=predict_only)


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_load_rejects_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.skops"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=r"not a valid auditor model|cannot read"):
        M.load_model(path)


def test_save_to_an_unwritable_place_is_an_input_error(
    trained: M.TrainedModel, tmp_path: Path
) -> None:
    from auditor.errors import InputError

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    # the temp file's cleanup must not raise in place of the one-line error
    with pytest.raises(InputError, match=r"x\.skops: Not a directory"):
        M.save_model(trained, blocker / "x.skops")
    with pytest.raises(InputError, match="Is a directory"):
        M.save_model(trained, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["blocker"]


def test_load_rejects_untrusted_types(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.neighbors import KNeighborsClassifier

    class Sneaky(KNeighborsClassifier):  # a type outside the trusted list
        pass

    path = tmp_path / "x.skops"
    sio.dump({"meta": "{}", "estimators": {"peers": Sneaky()}}, path)
    with pytest.raises(ModelError, match="untrusted"):
        M.load_model(path)


def test_metrics_helpers() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    risk = np.array([0.1, 0.2, 0.9, 0.8, 0.6, 0.4])
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    sc = metrics.score(y, risk, groups)
    assert sc.base_rate == pytest.approx(0.5)
    assert sc.n_tasks == 2 and sc.within_task_auc == pytest.approx((1.0 + 0.5) / 2)
    rows = metrics.threshold_table(y, risk)
    at5 = next(r for r in rows if r["threshold"] == 0.5)
    assert at5["fp_caught"] == pytest.approx(2 / 3, abs=1e-3)
    assert at5["correct_flagged"] == pytest.approx(1 / 3, abs=1e-3)
    rel = metrics.reliability(y, risk, bins=2)
    assert [r["n"] for r in rel] == [3, 3]
    assert json.dumps(sc.to_json())  # finite values serialise


def test_evaluate_data_reports_everything(trained: M.TrainedModel) -> None:
    data = synthetic(seed=7)
    ev = M.evaluate_data(trained, data, importance=3, max_rows=500).to_json()
    for key in ("roc_auc", "pr_auc", "within_task_auc", "n_tasks", "base_rate", "brier"):
        assert key in ev
    assert ev["roc_auc"] > 0.7
    top = [r["column"] for r in ev["permutation_importance"]]
    assert top[0] in {"rules.a", "rel.d_z", "task.mean.rules.a"}
    assert [r["threshold"] for r in ev["thresholds"]] == [0.3, 0.5, 0.7]


def test_importance_permutes_only_the_columns_that_vary(
    trained: M.TrainedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column with one value over the rows permutes into itself (a drop of exactly 0, never
    listed): it is not permuted, and the listed drops are those of permuting every column."""
    from sklearn import inspection

    from auditor.model import evaluation

    data = synthetic(seed=7)
    data.X[:, COLUMNS.index("ruff.b")] = 1.0  # constant, and so its task mean and std
    data.X[:, COLUMNS.index("radon.c")] = np.nan  # one value too
    widths: list[int] = []
    real = inspection.permutation_importance

    def spy(estimator: object, X: np.ndarray, *args: object, **kwargs: object) -> object:
        widths.append(X.shape[1])
        return real(estimator, X, *args, **kwargs)

    monkeypatch.setattr(inspection, "permutation_importance", spy)
    got = M.evaluate_data(trained, data, importance=50).importance
    n_context = len(trained.estimators["task"][0].names)
    assert widths == [n_context - 6]  # not the 2 columns, nor their 4 task statistics
    monkeypatch.setattr(evaluation, "_varies", lambda X: np.ones(X.shape[1], dtype=bool))
    every = M.evaluate_data(trained, data, importance=50).importance
    assert widths[1:] == [n_context]
    assert got == every and len(got) >= 3


def test_train_and_evaluate_cli_on_the_toy_corpus(toy_outdir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import cli

    model_path = tmp_path / "toy.skops"
    card = tmp_path / "card.md"
    runner = CliRunner()
    res = runner.invoke(
        cli,
        [
            "train",
            str(toy_outdir),
            "-o",
            str(model_path),
            "--family",
            "logreg",
            "--folds",
            "2",
            "--inner",
            "2",
            "--card",
            str(card),
            "--as-check",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    peers = summary["cv"]["peers"]
    assert peers["grouping"] == "task_id" and not peers["benchmark_only"]
    assert summary["cv"]["task"]["benchmark_only"]
    assert set(peers["baselines"]) == {"random", "task_prior", "best_feature"}
    assert peers["baselines"]["task_prior"]["n_candidates"] == 0  # task-disjoint folds
    # as check reads the samples file: the 12 weak-passers scored, the rejected as peers
    assert peers["as_check"]["n_candidates"] == 12
    assert summary["families"] == {"task": "logreg", "peers": "logreg", "solo": "logreg"}
    nested = summary["cv"]["peers"]["nested"]
    assert nested["n_candidates"] == 12 and nested["base_rate"] == pytest.approx(6 / 12)
    assert "| toy-labels" in card.read_text().replace("toy-labels0", "toy-labels")
    text = card.read_text()
    assert "## Headline: what `auditor check` does, per input kind" in text
    assert "baseline: same-task prior" in text and "benchmark-only" in text
    res = runner.invoke(
        cli,
        [
            "evaluate",
            str(model_path),
            str(toy_outdir),
            "--format",
            "json",
            "--importance",
            "2",
            "--as-check",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert list(doc["views"]) == ["single_file", "samples_file", "benchmark"]
    assert doc["views"]["benchmark"]["benchmark_only"]
    assert set(doc["views"]["single_file"]["by_overlap"]) == {"seen"}
    res = runner.invoke(cli, ["evaluate", str(model_path), str(toy_outdir), "--importance", "0"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("note: in-sample")  # said before any number
    first = next(line for line in lines if line.lstrip().startswith("model"))
    assert first.index("within-task") < first.index("pooled ROC-AUC")
    for key in ("roc_auc", "pr_auc", "within_task_auc", "n_tasks", "base_rate"):
        assert key in doc
    assert doc["n_tasks"] == 4 and doc["base_rate"] == pytest.approx(0.5)
    # On 12 rows the single refit estimator's ranking may survive every column shuffle
    # (all drops exactly 0, so none is listed); the ranking itself is tested on the
    # synthetic data in test_evaluate_data_reports_everything.
    assert doc["in_sample"] and len(doc["permutation_importance"]) <= 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "blocker/x.skops"], "x.skops: Not a directory"),
        (["-o", "."], "Is a directory"),
        (["-o", "m.skops", "--card", "blocker/card.md"], "card.md: Not a directory"),
    ],
)
def test_train_cli_refuses_an_output_before_training(
    toy_outdir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    from auditor.cli import main

    def no_work(*a: object, **k: object) -> None:
        raise AssertionError("work started")

    monkeypatch.setattr(M, "train", no_work)  # the one API call behind the command
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocker").write_text("")
    assert main(["train", str(toy_outdir), *args, "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1, err


def test_train_cli_cache_dir_under_a_regular_file(
    toy_outdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    (tmp_path / "blocker").write_text("")
    args = ["train", str(toy_outdir), "-o", str(tmp_path / "m.skops"), "--no-cv", "-q"]
    assert main([*args, "--cache-dir", str(tmp_path / "blocker" / "c")]) == 2
    err = capsys.readouterr().err
    assert "Not a directory" in err and "internal error" not in err


def test_train_command_is_the_api_call(
    toy_outdir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`auditor train` makes one `api.train` call, with the options its flags say, and writes
    what that call returns: the model and the card. (One training: the same call with the
    same options returns the same, which is what training twice used to show.)"""
    from dataclasses import replace

    from auditor import api
    from auditor.cli import main

    calls: list[tuple[object, api.TrainOptions, api.TrainResult]] = []
    real = M.train

    def spy(corpora: Any, opts: api.TrainOptions, **kwargs: Any) -> api.TrainResult:
        result = real(corpora, opts, **kwargs)
        calls.append((corpora, opts, result))
        return result

    monkeypatch.setattr(M, "train", spy)  # the one API call behind the command
    model_path, card = tmp_path / "m.skops", tmp_path / "card.md"
    args = ["-o", str(model_path), "--no-cv", "--family", "logreg", "--jobs", "1"]
    assert main(["train", str(toy_outdir), *args, "--card", str(card), "-q"]) == 0
    summary = json.loads(capsys.readouterr().out)
    [(corpora, opts, result)] = calls
    assert list(corpora) == [toy_outdir]
    command = card.read_text().split("$ ", 1)[1].split("\n", 1)[0]
    assert command.startswith("auditor train ") and "--no-cv" in command
    expected = api.TrainOptions(families=("logreg",), cv=False, jobs=1, card_command=command)
    assert replace(opts, cv_sets=None) == expected  # cv_sets are not read without cv
    assert isinstance(result, api.TrainResult) and result.cross == ()
    assert dict(result.model.meta.families) == summary["families"]
    assert result.model.meta.cv == summary["cv"]
    assert result.card == card.read_text()
    assert M.load_model(model_path).meta == result.model.meta


def test_train_text_without_cv_prints_no_cv_header() -> None:
    from auditor.cli.train import render_text

    summary = {"model": "m.skops", "families": {"peers": "logreg"}, "cv": {}, "cross_model": []}
    assert "Nested CV" not in render_text(summary)
    summary["cv"] = {"peers": {"nested": {}, "chosen": ["logreg"]}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("auditor.study.score_text.scores_line", lambda name, sc: f"  {name}")
        assert "Nested CV" in render_text(summary)


def test_unknown_train_option_fails_before_any_work() -> None:
    """A typo in --cv-sets or --family is refused when the options are made, not after
    the feature extraction it would have wasted (`auditor train` printed "extracting
    features" first)."""
    from auditor import api
    from auditor.errors import InputError

    with pytest.raises(InputError, match=r"unknown feature set\(s\): nope"):
        api.TrainOptions(cv_sets=("peers", "nope"))
    with pytest.raises(InputError, match="unknown model family: forest"):
        api.TrainOptions(families=("forest",))
    api.TrainOptions(cv_sets=("exec-peers",), execute=True)  # every known set is accepted


def test_selection_score_without_any_auc_is_nan_without_a_warning() -> None:
    """Too few rows for either AUC: NaN, quietly (numpy's "Mean of empty slice" warnings
    came before `train`'s one-line error on a tiny corpus)."""
    import warnings

    from auditor.model.selection import _selection_score

    data = synthetic()
    n = len(data.y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(_selection_score(data, (np.full(n, np.nan), np.zeros(n, dtype=int))))
