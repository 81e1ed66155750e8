"""Saving and loading models: skops (never pickle) plus the verified numpy export.

A saved file is one zip: the skops payload (metadata JSON and the fitted pipelines, loaded
against an explicit list of trusted types) and, beside it, the numpy export of each
pipeline's calibrated classifier (`auditor.model.compiled`), which `auditor check` loads
without importing scikit-learn. The format (`MODEL_FORMAT`) is checked first: a file
written for other columns is refused with its format named, never scored.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from auditor.errors import InputError, ModelError
from auditor.io import atomic_write, read_bytes
from auditor.model.context import ALL_SETS, ContextClassifier, context_names
from auditor.model.trained import MODEL_FORMAT, ModelMeta, TrainedModel

logger = logging.getLogger("auditor.model")

# Everything a saved model may contain beyond skops' default-trusted builtins/numpy/sklearn.
TRUSTED_TYPES: tuple[str, ...] = (
    "auditor.model.transform.TaskContext",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_selection._variance_threshold.VarianceThreshold",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn.utils._bunch.Bunch",
    "builtins.slice",
    "numpy.dtype",
    "numpy.ndarray",
    "collections.OrderedDict",
)


def default_model_path() -> Path:
    """The packaged pretrained model."""
    return Path(__file__).resolve().parent.parent / "data" / "default_model.skops"


def model_loader(path: str | Path | None = None) -> Callable[[], TrainedModel]:
    """A loader of `path`'s model for `check` (it calls it while features are extracted, so
    the two overlap), else of the packaged default; predict-only (the numpy export)."""
    if path is None:
        path = default_model_path()
        if not path.exists():
            raise ModelError("no packaged default model; pass --model MODEL or --no-model")
    return functools.partial(load_model, path, predict_only=True)


def save_model(model: TrainedModel, path: str | Path) -> None:
    """Write `model` with skops (atomic), plus its numpy export for fast loading when
    every estimator exports exactly (see `auditor.model.compiled`)."""
    import skops.io as sio

    from auditor.model import compiled
    from auditor.model.families import calibrated_part

    meta = model.meta.to_json()
    payload = {"meta": json.dumps(meta, sort_keys=True), "estimators": dict(model.estimators)}
    data = sio.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    width = len(context_names(model.meta.columns))
    heads = {name: calibrated_part(est) for name, est in model.estimators.items()}
    exported, skipped = compiled.compile_all(heads, dict.fromkeys(heads, width))
    if skipped:
        logger.warning("model saved without its fast export (%s)", "; ".join(skipped))
    else:
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            compiled.write(zf, meta, exported)
        data = buf.getvalue()
    atomic_write(path, data)


# A model file is a few MB (the packaged one: 2.7 MB); the cap bounds what a wrong path reads.
MAX_MODEL_BYTES = 256 << 20

_MALFORMED = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    TypeError,
    json.JSONDecodeError,
    OSError,
    AttributeError,
    EOFError,
)


def _read_export(path: Path, data: bytes) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The model's numpy export behind the task context, or None when it has none."""
    from auditor.model import compiled

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            found = compiled.read(zf)
        if found is None:
            return None
        meta, classifiers = found
        _check_format(path, meta)
        columns = tuple(meta["columns"])
        compiled.validate(classifiers, len(context_names(columns)))
        return meta, {k: ContextClassifier(columns, c) for k, c in classifiers.items()}
    except _MALFORMED as exc:
        raise ModelError(f"{path}: not a valid auditor model ({type(exc).__name__})") from None


def _read_skops(path: Path, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        # One pass: skops refuses any type outside the list (a second audit pass with
        # get_untrusted_types would double the load time).
        payload = sio.loads(data, trusted=list(TRUSTED_TYPES))
        meta = json.loads(payload["meta"])
        _check_format(path, meta)
        return meta, _pipelines(path, payload["estimators"])
    except UntrustedTypesFoundException as exc:
        raise ModelError(f"{path}: model contains untrusted types: {exc}") from None
    except _MALFORMED as exc:
        raise ModelError(f"{path}: not a valid auditor model ({type(exc).__name__})") from None


def _check_format(path: Path, meta: Mapping[str, Any]) -> None:
    """Before the estimators are built: another format's columns would not fit them."""
    found = meta.get("format")
    if found != MODEL_FORMAT:
        raise ModelError(f"{path}: model format {found!r}, expected {MODEL_FORMAT!r}; retrain it")


def _pipelines(path: Path, estimators: Mapping[str, Any]) -> dict[str, Any]:
    """The estimators, each a pipeline behind the task context (as every format-2 file
    saves them)."""
    from auditor.model.families import is_pipeline

    bare = sorted(k for k, est in estimators.items() if not is_pipeline(est))
    if bare:
        raise ModelError(f"{path}: not a valid auditor model (no task context: {', '.join(bare)})")
    return dict(estimators)


def load_model(
    path: str | Path, *, check_schema: bool = True, predict_only: bool = False
) -> TrainedModel:
    """Load a saved model; a corrupt file or a model for another feature schema is a
    ModelError.

    The scikit-learn estimators come from skops, refusing unknown types. With
    `predict_only`, the model's numpy export is used when it has one: the same
    predictions without importing scikit-learn (what `auditor check` needs)."""
    path = Path(path)
    try:
        data = read_bytes(path, MAX_MODEL_BYTES)  # through io: a FIFO must not hang
    except InputError as exc:
        raise ModelError(str(exc)) from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model: {exc.strerror or exc}") from None
    found = _read_export(path, data) if predict_only else None
    raw_meta, estimators = found if found is not None else _read_skops(path, data)
    try:
        meta = ModelMeta.from_json(raw_meta)
    except _MALFORMED as exc:
        raise ModelError(f"{path}: not a valid auditor model ({type(exc).__name__})") from None
    if not estimators or not set(estimators) <= set(ALL_SETS):
        raise ModelError(f"{path}: model lacks its estimators")
    if check_schema:
        from auditor import features

        current = features.schema_hash()
        if meta.schema_hash != current:
            raise ModelError(
                f"{path}: model was trained for feature schema {meta.schema_hash[:12]} "
                f"({meta.schema_version}) but this auditor extracts {current[:12]} "
                f"({features.SCHEMA_VERSION}); retrain it with `auditor train`"
            )
    return TrainedModel(estimators, meta)
