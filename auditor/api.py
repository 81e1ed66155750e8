"""The public Python API: one import for every stage of the pipeline.

    from auditor import api
    samples = api.read_samples("samples.jsonl", api.load_benchmark("humaneval+"))
    run = api.label(samples.candidates, tasks, out_dir="out/")

    # best-of-n: the packaged model, execution against the tasks' weak tests
    tasks = api.load_tasks("tasks.jsonl")
    run = api.check(["samples.jsonl"], execution=api.Execution(tasks=tasks))
    chosen = {p.task_id: p.result for p in run.picks()}

Names resolve lazily (PEP 562), so `import auditor.api` stays cheap and the CLI's start-up
time does not pay for scikit-learn or pylint until a command needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> module that defines it: the one registry of the public surface.
_EXPORTS: dict[str, str] = {
    # corpora
    "load_benchmark": "auditor.corpus.benchmarks",
    "read_samples": "auditor.corpus.samples",
    "read_labels": "auditor.corpus.labels",
    "load_labeled": "auditor.corpus.labels",
    "resolve_data_dir": "auditor.corpus.datadir",
    "fetch": "auditor.corpus.datadir",
    "sanitize": "auditor.sanitize",
    # labeling
    "label": "auditor.label",
    # where sandbox work runs (local worker processes or a Ray cluster)
    "make_runner": "auditor.executors",
    "use_executor": "auditor.executors",
    # static analysis and features
    "parse": "auditor.parse",
    "check_rules": "auditor.rules",
    "extract": "auditor.features",
    "findings": "auditor.features",
    "read_table": "auditor.features",
    "write_table": "auditor.features",
    "within_task_auc": "auditor.metrics",
    # classifier
    "train": "auditor.model",
    "TrainOptions": "auditor.model",
    "TrainResult": "auditor.model",
    "evaluate": "auditor.model",
    "load_model": "auditor.model",
    "save_model": "auditor.model",
    # the CI gate
    "check": "auditor.check",
    "Config": "auditor.config",
    "load_config": "auditor.config",
    "model_loader": "auditor.model",
    "Execution": "auditor.execution.for_check",
    "load_tasks": "auditor.execution.tasks",
    "harvest": "auditor.execution.harvest",
    # resampling maths and reports
    "curves": "auditor.resampling",
    "summarize_corpus": "auditor.resampling",
    "threshold_sweep": "auditor.resampling",
    "rerank_curves": "auditor.resampling",
    "build_study": "auditor.study.analysis",
    "report": "auditor.study.report",
    "ReportOptions": "auditor.study.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auditor.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # give type checkers and IDEs the real signatures
    from auditor.check import check
    from auditor.config import Config, load_config
    from auditor.corpus.benchmarks import load_benchmark
    from auditor.corpus.datadir import fetch, resolve_data_dir
    from auditor.corpus.labels import load_labeled, read_labels
    from auditor.corpus.samples import read_samples
    from auditor.execution.for_check import Execution
    from auditor.execution.harvest import harvest
    from auditor.execution.tasks import load_tasks
    from auditor.executors import make_runner, use_executor
    from auditor.features import extract, findings, read_table, write_table
    from auditor.label import label
    from auditor.metrics import within_task_auc
    from auditor.model import (
        TrainOptions,
        TrainResult,
        evaluate,
        load_model,
        model_loader,
        save_model,
        train,
    )
    from auditor.parse import parse
    from auditor.resampling import curves, rerank_curves, summarize_corpus, threshold_sweep
    from auditor.rules import check_rules
    from auditor.sanitize import sanitize
    from auditor.study.analysis import build_study
    from auditor.study.report import ReportOptions, report
