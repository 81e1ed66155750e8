"""The numpy export of fitted estimators predicts what scikit-learn predicts."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor import model as M
from auditor.errors import ModelError
from auditor.model import compiled as C
from auditor.model import families
from auditor.model.context import ContextClassifier
from auditor.types import FeatureTable

from .test_model import COLUMNS, synthetic


def _data(n: int = 600, width: int = 8, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width)) * rng.choice([1.0, 50.0], width)
    X[:, 2] = 7.0  # constant: dropped by VarianceThreshold
    X[:, 5] = np.round(X[:, 5])  # few distinct values: repeated thresholds
    y = (X[:, 0] + 0.02 * X[:, 1] - X[:, 5] + rng.normal(size=n) > 0).astype(int)
    X[rng.random(X.shape) < 0.15] = np.nan
    X[:40, 3] = np.nan  # a column with many missing values
    return X, y


def _calibrated(family: str, cols: list[int], X: np.ndarray, y: np.ndarray, ensemble: bool) -> Any:
    from sklearn.calibration import CalibratedClassifierCV

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 30)
        est = CalibratedClassifierCV(
            M.FAMILIES[family](cols), method="sigmoid", cv=3, ensemble=ensemble
        )
        return est.fit(X, y)


@pytest.mark.parametrize("family", sorted(M.FAMILIES))
@pytest.mark.parametrize("ensemble", [False, True])
def test_export_predicts_like_sklearn(family: str, ensemble: bool) -> None:
    X, y = _data()
    cols = [0, 1, 2, 3, 5, 6, 7]  # a column subset, in the model's own order
    est = _calibrated(family, cols, X, y, ensemble)
    exported = C.export(est)
    assert len(exported.members) == (3 if ensemble else 1)
    X_new, _ = _data(seed=11)
    X_new[0, :] = np.nan  # a row with nothing known
    if family == "hgb":  # the imputer refuses infinities (features never produce them)
        X_new[1, 0] = np.inf
    for rows in (X_new, C.probe_rows(exported, X.shape[1]), X_new[:1]):
        np.testing.assert_allclose(
            exported.predict_proba(rows), est.predict_proba(rows), atol=1e-12
        )
    # the rows reach different leaves
    p = exported.predict_proba(X_new)[:, 1]
    assert p.std() > 0.05


def test_unsupported_estimators_are_not_exported() -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    X, y = _data()
    X = np.nan_to_num(X)
    iso = CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=3).fit(X, y)
    with pytest.raises(C.NotExportable):
        C.export(iso)
    bare = CalibratedClassifierCV(LogisticRegression(), method="sigmoid", cv=3).fit(X, y)
    with pytest.raises(C.NotExportable, match="pipeline"):
        C.export(bare)
    done, skipped = C.compile_all({"peers": iso}, {"peers": X.shape[1]})
    assert done == {} and skipped == ["peers: not a sigmoid CalibratedClassifierCV"]


@pytest.fixture(scope="module")
def trained() -> M.TrainedModel:
    data = synthetic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 10)
        return M.fit(data, families=("hgb",), cv=False, inner=2)


def _table(n: int = 12) -> FeatureTable:
    data = synthetic(seed=5)
    keys = (("A", "0", ""), *(("B", str(i), "") for i in range(n - 1)))
    return FeatureTable(keys, COLUMNS, data.X[:n], "test/1", data.schema_hash)


def test_saved_model_loads_its_export_for_prediction(
    trained: M.TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "m.skops"
    M.save_model(trained, path)
    fast = M.load_model(path, check_schema=False, predict_only=True)
    full = M.load_model(path, check_schema=False)
    assert all(isinstance(e, ContextClassifier) for e in fast.estimators.values())
    assert not any(isinstance(e, ContextClassifier) for e in full.estimators.values())
    assert fast.meta == full.meta == trained.meta
    np.testing.assert_allclose(
        fast.predict_risk(_table()), trained.predict_risk(_table()), atol=1e-12
    )
    with zipfile.ZipFile(path) as zf:  # one file: skops payload and export side by side
        names = zf.namelist()
    assert "schema.json" in names and C.INDEX in names


def test_predict_only_load_imports_no_sklearn(trained: M.TrainedModel, tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    M.save_model(trained, path)
    code = (
        "import sys\n"
        "from auditor.model import load_model\n"
        f"m = load_model({str(path)!r}, check_schema=False, predict_only=True)\n"
        "assert m.estimators\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'skops', 'scipy')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_model_without_export_falls_back_to_skops(
    trained: M.TrainedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    def refuse(estimator: object) -> C.CompiledClassifier:
        raise C.NotExportable("test")

    monkeypatch.setattr(C, "export", refuse)
    path = tmp_path / "m.skops"
    with caplog.at_level(logging.WARNING, logger="auditor.model"):
        M.save_model(trained, path)
    assert "without its fast export" in caplog.text
    with zipfile.ZipFile(path) as zf:
        assert C.INDEX not in zf.namelist()
    loaded = M.load_model(path, check_schema=False, predict_only=True)
    assert not any(isinstance(e, ContextClassifier) for e in loaded.estimators.values())
    np.testing.assert_array_equal(loaded.predict_risk(_table()), trained.predict_risk(_table()))


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _truncate(data: bytes) -> bytes:
    return data[:20]


def _self_loop(data: bytes) -> bytes:
    left = np.load(io.BytesIO(data))
    return _npy(np.arange(len(left), dtype=left.dtype))  # every node its own left child


def _far_column(data: bytes) -> bytes:
    cols = np.load(io.BytesIO(data))
    return _npy(cols + 10_000)


@pytest.mark.parametrize(
    ("suffix", "damage"),
    [("value.npy", _truncate), ("head.left.npy", _self_loop), ("member.columns.npy", _far_column)],
)
def test_corrupt_export_is_a_model_error(
    trained: M.TrainedModel, tmp_path: Path, suffix: str, damage: Callable[[bytes], bytes]
) -> None:
    """A damaged export fails at load with one line (never a hang or a crash later)."""
    path = tmp_path / "m.skops"
    M.save_model(trained, path)
    bad = tmp_path / "bad.skops"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith(C.ARRAYS) and item.filename.endswith(suffix):
                data = damage(data)
            dst.writestr(item, data)
    with pytest.raises(ModelError, match="not a valid auditor model"):
        M.load_model(bad, check_schema=False, predict_only=True)


def test_extreme_scores_saturate_without_warnings() -> None:
    import warnings

    m = C.Member(
        np.array([0], dtype=np.int32), None, None, None, C.Linear(np.ones(1), 0.0), -1.0, 0.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail the test
        np.testing.assert_array_equal(m.proba(np.array([[-1e6], [1e6], [0.0]])), [0.0, 1.0, 0.5])


def test_classifiers_saved_without_their_context_are_refused(
    trained: M.TrainedModel, tmp_path: Path
) -> None:
    """A file whose estimators lack the task context in front (what format 1 saved) is
    not scored with columns it does not expect: one clear error."""
    import json

    import skops.io as sio

    from auditor.model.families import calibrated_part

    old = {
        "meta": json.dumps(trained.meta.to_json(), sort_keys=True),
        "estimators": {k: calibrated_part(v) for k, v in trained.estimators.items()},
    }
    path = tmp_path / "old.skops"
    path.write_bytes(sio.dumps(old))
    with pytest.raises(ModelError, match=r"not a valid auditor model \(no task context"):
        M.load_model(path, check_schema=False)


def test_packaged_model_predicts_the_same_from_skops_and_export() -> None:
    path = M.default_model_path()
    fast = M.load_model(path, check_schema=False, predict_only=True)
    full = M.load_model(path, check_schema=False)
    cols = full.meta.columns
    rng = np.random.default_rng(3)
    X = rng.poisson(1.0, size=(40, len(cols))).astype(float)
    X[rng.random(X.shape) < 0.1] = np.nan
    keys = tuple((f"T{i % 4}", str(i), "") for i in range(40))
    table = FeatureTable(keys, cols, X, full.meta.schema_version, full.meta.schema_hash)
    np.testing.assert_allclose(fast.predict_risk(table), full.predict_risk(table), atol=1e-9)
