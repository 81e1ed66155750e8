"""behavior.*: probe-input mutation, output agreement with peers, sandbox probing, caching."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor.behavior.agreement import COLUMNS, FAILED_COLUMN, agreement_features
from auditor.behavior.mutate import SIZE_CAP, inputs_digest, probe_inputs, size
from auditor.features.behavior import ALL_COLUMNS, behavior_features
from auditor.features.cache import FeatureCache
from auditor.types import Candidate, Task

COL = {c: i for i, c in enumerate(ALL_COLUMNS)}

BASES: dict[str, tuple[Any, ...]] = {
    "ints": ([3, 7], [10, 15], [0, 1]),
    "floats": ([[1.0, 2.0, 3.9], 0.3], [[1.5, 2.5], 0.05]),
    "strings": (["(()()) ((()))"], ["() (())"], [""]),
    "nested": ([[[1, 2], [3]], "ab"], [[[4], [], [5, 6, 7]], "cd"]),
    "dicts": ([{"p": "pine", "b": "ban"}],),
    "mixed": ([True, None, 2.5, "x", [1, "a"]],),
    "empty_list": ([[]], [[1, 2]]),
}


def _kinds(x: Any) -> set[tuple[int, type]]:
    """(depth, type) of every value inside x (dict keys and values one level down)."""
    out: set[tuple[int, type]] = set()
    stack: list[tuple[int, Any]] = [(0, x)]
    while stack:
        depth, v = stack.pop()
        out.add((depth, type(v)))
        if isinstance(v, list | tuple):
            stack += [(depth + 1, e) for e in v]
        elif isinstance(v, dict):
            stack += [(depth + 1, e) for e in (*v.keys(), *v.values())]
    return out


# --------------------------------------------------------------------------- mutation


@pytest.mark.parametrize("name", sorted(BASES))
def test_probe_inputs_keep_arity_types_and_size(name: str) -> None:
    base = BASES[name]
    probes = probe_inputs(f"T/{name}", base, 24)
    assert probes, "nothing generated"
    base_keys = {repr(b) for b in base}
    base_kinds = set().union(*(_kinds(b) for b in base))
    for p in probes:
        assert isinstance(p, list)
        assert repr(p) not in base_keys
        assert any(
            len(p) == len(b) and all(type(x) is type(y) for x, y in zip(p, b, strict=True))
            for b in base
        )
        # No value of a type absent from the base inputs (e.g. no str inside int lists).
        assert _kinds(p) <= base_kinds
        assert size(p) <= max(SIZE_CAP, *(size(b) for b in base))
    assert len({repr(p) for p in probes}) == len(probes)


def test_probe_inputs_deterministic_and_task_seeded() -> None:
    base = BASES["nested"]
    assert probe_inputs("T/1", base) == probe_inputs("T/1", base)
    assert probe_inputs("T/1", base) != probe_inputs("T/2", base)
    assert probe_inputs("T/1", ()) == ()
    assert len(probe_inputs("T/1", base, 5)) == 5


def test_probe_inputs_same_across_processes() -> None:
    """Seeded by sha256, not by the salted hash(): other hash seeds give the same probes."""
    code = (
        "from auditor.behavior.mutate import probe_inputs, inputs_digest\n"
        f"b = {BASES['strings']!r} + {BASES['dicts']!r}\n"
        "print(inputs_digest('T/x', 'f', probe_inputs('T/x', b)))\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    here = inputs_digest("T/x", "f", probe_inputs("T/x", BASES["strings"] + BASES["dicts"]))
    assert digests == {here}


def test_bool_only_input_gives_few_probes() -> None:
    assert probe_inputs("T/b", ([True],)) == ([False],)


# --------------------------------------------------------------------------- agreement


def _row(out: np.ndarray, i: int) -> dict[str, float]:
    return {c: float(out[i, k]) for k, c in enumerate((*COLUMNS, FAILED_COLUMN))}


def test_majority_agrees_deviant_does_not() -> None:
    good = ("v:a", "v:b", "v:c", "v:d")
    vectors = [good, good, good, good, ("v:a", "v:x", "exc:ValueError", "v:y")]
    out = agreement_features(vectors, np.ones(5, dtype=bool))
    maj, dev = _row(out, 0), _row(out, 4)
    assert maj["behavior.agree_plurality"] == 1.0
    assert maj["behavior.agree_mean"] == pytest.approx((1 + 3 * 0.75) / 4)
    assert maj["behavior.cluster_share"] == 0.75  # 3 of its 4 peers
    assert maj["behavior.cluster_rank"] == 1
    assert dev["behavior.agree_plurality"] == 0.25  # only input 0
    assert dev["behavior.agree_mean"] == 0.25
    assert dev["behavior.cluster_share"] == 0.0
    assert dev["behavior.cluster_rank"] == 2
    assert dev["behavior.crash_rate"] == 0.25
    assert dev["behavior.crash_rate_rel"] == 0.25
    assert maj["behavior.crash_rate_rel"] == 0.0
    assert dev["behavior.n_peers"] == 4 and dev["behavior.n_inputs"] == 4
    assert dev["behavior.failed"] == 0.0


def test_leave_one_out_and_non_peers() -> None:
    a, b = ("v:1", "v:2"), ("v:1", "v:3")
    # Rows: A, A, B (peers) and a non-peer B.
    out = agreement_features([a, a, b, b], np.array([True, True, True, False]))
    # A's peers are {A, B}: half agree on input 1, tie on the plurality counts as agreement.
    assert _row(out, 0)["behavior.cluster_share"] == 0.5
    assert _row(out, 0)["behavior.agree_plurality"] == 1.0
    assert _row(out, 0)["behavior.n_peers"] == 2
    # Peer B's peers are {A, A}: it loses input 1, and its own vote is not counted.
    assert _row(out, 2)["behavior.agree_plurality"] == 0.5
    assert _row(out, 2)["behavior.cluster_share"] == 0.0
    assert _row(out, 2)["behavior.cluster_rank"] == 2
    # The non-peer B is compared with all three peers (nothing left out), B among them.
    assert _row(out, 3)["behavior.n_peers"] == 3
    assert _row(out, 3)["behavior.cluster_share"] == pytest.approx(1 / 3)
    assert _row(out, 3)["behavior.agree_plurality"] == 0.5


def test_failed_rows_and_lonely_candidate() -> None:
    out = agreement_features([("v:1",), None], np.ones(2, dtype=bool))
    assert _row(out, 1)["behavior.failed"] == 1.0
    assert math.isnan(_row(out, 1)["behavior.agree_plurality"])
    # The failed row is nobody's peer: row 0 has none left.
    assert _row(out, 0)["behavior.n_peers"] == 0
    assert math.isnan(_row(out, 0)["behavior.agree_plurality"])
    assert _row(out, 0)["behavior.crash_rate"] == 0.0


# --------------------------------------------------------------------------- features


class FakeProber:
    """Runs candidates in-process (trusted test code only) and counts the programs run."""

    version = "fake/1"

    def __init__(self) -> None:
        self.runs = 0

    def probe(self, task: Task, codes: Sequence[str], inputs: Sequence[Any]) -> list[Any]:
        out = []
        for code in codes:
            self.runs += 1
            g: dict[str, Any] = {}
            exec(code, g)
            vec = []
            for inp in inputs:
                try:
                    vec.append(f"v:{g[task.entry_point](*inp)!r}")
                except Exception as exc:
                    vec.append(f"exc:{type(exc).__name__}")
            out.append(tuple(vec))
        return out


TASK = Task(
    task_id="T/0",
    prompt="",
    entry_point="add",
    canonical_solution="def add(a, b):\n    return a + b\n",
    base_input=([1, 2], [3, 4], [0, 0]),
    plus_input=([100, 200],),
)
RIGHT = ["def add(a, b):\n    return a + b\n", "def add(a, b):\n    return b + a\n"]
# Passes the weak tests (1+2, 3+4, 0+0) by special-casing them.
HARDCODED = "def add(a, b):\n    return {(1, 2): 3, (3, 4): 7}.get((a, b), 0)\n"


def _cands() -> list[Candidate]:
    codes = [*RIGHT, RIGHT[0], HARDCODED, "def add(a, b):\n    return a + b + 0\n"]
    return [Candidate("T/0", str(i), c) for i, c in enumerate(codes)]


def test_behavior_features_flag_the_deviant(tmp_path: Path) -> None:
    cands = [*_cands(), Candidate("T/unknown", "0", RIGHT[0])]
    prober = FakeProber()
    with FeatureCache(tmp_path) as cache:
        out = behavior_features(
            cands, np.ones(len(cands), dtype=bool), {"T/0": TASK}, cache=cache, prober=prober
        )
    assert out.shape == (len(cands), len(ALL_COLUMNS))
    assert prober.runs == 4  # RIGHT[0] twice: deduped
    agree = out[:, COL["behavior.agree_plurality"]]
    assert agree[3] < 0.5 and agree[[0, 1, 2, 4]].min() == 1.0
    assert out[3, COL["behavior.cluster_rank"]] == 2
    assert out[0, COL["behavior.cluster_share"]] == 0.75  # all but the hardcoded one
    assert out[:5, COL["behavior.failed"]].tolist() == [0.0] * 5
    # No task: NaN and failed.
    assert out[5, COL["behavior.failed"]] == 1.0
    assert np.isnan(out[5, : len(COLUMNS)]).all()


def test_peers_are_the_masked_rows(tmp_path: Path) -> None:
    cands = _cands()
    mask = np.array([False, False, False, True, False])  # only the hardcoded one is a peer
    with FeatureCache(None) as cache:
        out = behavior_features(cands, mask, {"T/0": TASK}, cache=cache, prober=FakeProber())
    assert out[0, COL["behavior.n_peers"]] == 1
    assert out[3, COL["behavior.n_peers"]] == 0  # its only peer is itself
    assert out[0, COL["behavior.cluster_share"]] == 0.0


def test_outputs_cached_on_rerun(tmp_path: Path) -> None:
    cands = _cands()
    mask = np.ones(len(cands), dtype=bool)
    first, second = FakeProber(), FakeProber()
    with FeatureCache(tmp_path) as cache:
        a = behavior_features(cands, mask, {"T/0": TASK}, cache=cache, prober=first)
    with FeatureCache(tmp_path) as cache:
        b = behavior_features(cands, mask, {"T/0": TASK}, cache=cache, prober=second)
    assert first.runs == 4 and second.runs == 0
    np.testing.assert_array_equal(a, b)
    # Other probe inputs (n) are another cache key.
    with FeatureCache(tmp_path) as cache:
        behavior_features(cands, mask, {"T/0": TASK}, cache=cache, prober=second, n_inputs=5)
    assert second.runs == 4


# --------------------------------------------------------------------------- sandbox


def test_fingerprint_canonical_form() -> None:
    from auditor.sandbox._worker import fingerprint

    assert fingerprint(1) == fingerprint(1.0) == fingerprint(True)
    assert fingerprint(0.1 + 0.2) == fingerprint(0.3)
    assert fingerprint(0.3) != fingerprint(0.3001)
    assert fingerprint([1, 2]) != fingerprint((1, 2))
    assert fingerprint({3, 1, 2}) == fingerprint(frozenset({2, 3, 1}))
    assert fingerprint({"a": 1, "b": [2]}) == fingerprint({"b": [2], "a": 1})
    assert fingerprint("1") != fingerprint(1)
    assert fingerprint(float("nan")) == fingerprint(float("nan"))
    assert fingerprint(10**5000) != fingerprint(10**5000 + 1)  # no int->str digit limit
    assert fingerprint(np.array([1.0, 2.0])) == fingerprint(np.array([1.0, 2.0 + 1e-12]))
    assert fingerprint(np.int64(3)) == fingerprint(3)
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    assert fingerprint(nested).startswith("v:")  # depth-capped, no RecursionError


def test_sandbox_probe_tiny_task() -> None:
    from auditor.behavior.prober import ProbeLimits, SandboxProber

    codes = [
        RIGHT[0],
        "def add(a, b):\n    return float(a + b) + 1e-12\n",
        HARDCODED,
        "def add(a, b):\n    while True:\n        pass\n",
        "def add(a, b):\n    raise ValueError('no')\n",
        "def plus(a, b):\n    return a + b\n",
        "import os\ndef add(a, b):\n    os._exit(0)\n",
        "import time\ndef add(a, b):\n    time.sleep(60)\n",  # no CPU time: the wall cap
    ]
    inputs = [[5, 6], [7, 8]]
    with SandboxProber(jobs=2, limits=ProbeLimits(per_input_s=0.5, total_s=1.5)) as prober:
        vecs = prober.probe(TASK, codes, inputs)
    right, floaty, hard, loop, raises, missing, dies, sleeps = vecs
    assert right is not None and len(right) == 2 and right[0].startswith("v:")
    assert floaty == right
    assert hard is not None and hard != right and hard[0].startswith("v:")
    assert loop == ("timeout", "timeout")
    assert raises == ("exc:ValueError", "exc:ValueError")
    assert missing == ("exc:KeyError", "exc:KeyError")
    assert dies == ("died", "died")
    assert sleeps == ("timeout", "timeout")


def test_sandbox_probe_mbpp_inputs_are_decoded() -> None:
    """MBPP+ inputs reach the program as the benchmark decodes them (tuples for Mbpp/2)."""
    from auditor.behavior.prober import SandboxProber

    task = Task("Mbpp/2", "", "similar_elements", "", ([[3, 4], [5, 4]],), ())
    code = "def similar_elements(a, b):\n    return type(a).__name__\n"
    with SandboxProber(jobs=1) as prober:
        (vec,) = prober.probe(task, [code], [[[1, 2], [2, 3]]])
    from auditor.sandbox._worker import fingerprint

    assert vec == (fingerprint("tuple"),)


def test_sandbox_probe_undecodable_input_spoils_only_itself() -> None:
    """Mbpp/124 decodes its second argument with complex(); a mutated one may not parse."""
    from auditor.behavior.prober import SandboxProber
    from auditor.sandbox._worker import fingerprint

    task = Task("Mbpp/124", "", "angle_complex", "", ([0, "1j"],), ())
    code = "def angle_complex(a, b):\n    return b.imag\n"
    with SandboxProber(jobs=1) as prober:
        (vec,) = prober.probe(task, [code], [[0, "2j"], [0, "not complex"]])
    assert vec == (fingerprint(2.0), "exc:BadInput")


def test_extract_has_behavior_columns_when_tasks_known() -> None:
    from auditor import features

    cands = _cands()
    with_tasks = features.extract(cands, tasks={"T/0": TASK}, use_cache=False, jobs=1)
    agree = with_tasks.column("behavior.agree_plurality")
    assert agree[3] < 0.5 and agree[[0, 1, 2, 4]].min() == 1.0
    assert with_tasks.column("behavior.failed").tolist() == [0.0] * 5
    alone = features.extract(cands, use_cache=False, jobs=1)
    assert alone.column("behavior.failed").tolist() == [1.0] * 5
    assert np.isnan(alone.column("behavior.cluster_share")).all()
    assert alone.columns == with_tasks.columns
