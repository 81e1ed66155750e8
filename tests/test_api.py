"""The public API resolves every exported name to the function its module defines."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from auditor import api


@pytest.mark.parametrize("name", api.__all__)
def test_every_export_resolves_to_its_module(name: str) -> None:
    module = importlib.import_module(api._EXPORTS[name])
    assert getattr(api, name) is getattr(module, name)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        api.no_such_thing  # noqa: B018


def test_importing_api_does_not_import_heavy_libraries() -> None:
    code = "import sys, auditor.api; print(sorted(m for m in ('sklearn', 'pylint', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_defaults_to_the_packaged_model_and_config() -> None:
    """A best-of-n loop needs no Config or model path (user trial s18): the defaults are
    the CLI's, and the picks are the lowest-risk passers."""
    from pathlib import Path

    from auditor import api

    toy = Path(__file__).resolve().parents[1] / "corpora" / "toy"
    run = api.check([toy / "samples.jsonl"], tasks=api.load_tasks(str(toy / "benchmark.jsonl")))
    assert run.model and run.fail_on_risk == api.Config().fail_on_risk
    for pick in run.picks():
        assert pick.result is not None and pick.result.risk is not None
        same_task = [
            r.risk for r in run.results if r.task_id == pick.task_id and r.risk is not None
        ]
        assert pick.result.risk == min(same_task)
