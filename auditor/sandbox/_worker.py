"""Sandbox worker: the trusted side of the trust boundary (run as a script, never imported).

It talks to the auditor over stdin/stdout with length-prefixed pickle frames (both ends are
trusted), holds every task's inputs and expected outputs, and decides every verdict. Code
never runs here: programs (candidates and references alike) run in a zygote's children
(`_zygote.py`), under bubblewrap when the host allows it (`_launch.py`), which receive
inputs only and send back outputs in the bounded typed format of `_codec.py`. References run
in a zygote of their own, so no candidate is ever forked from a process that held one.

Messages (parent -> worker):
  ("hello", cfg)               start the zygotes; reply ("ready", info)
  ("gt", spec)                 compute ground truth for a task; reply ("gt", id, info, blob)
  ("load", spec, info, blob)   install a task computed elsewhere; no reply
  ("drop", task_id)            forget a task; no reply
  ("run", job_id, task_id, code, phases)   reply ("result", job_id, result)
  ("probe", job_id, probe)     run code on inputs, fingerprint each output; reply ("probe", id, res)

EvalPlus 0.3.1 semantics reproduced here (evalplus/eval/__init__.py, gen/util):
  * expected outputs: reference called on a deepcopy of each input, timed;
  * per-input limit max(min_time_limit, factor * ref_time), fail fast (the child is told to
    stop at the first failing output); clock "wall" is EvalPlus's ITIMER_REAL, clock "cpu"
    (the default) ITIMER_PROF with reference times in CPU seconds;
  * per-phase cap min(max_phase_s, sum(limits)) + 2 s (EvalPlus's join timeout), in child
    CPU seconds with clock "cpu" (plus a 3x + 10 s wall cap for sleepers);
  * is_floats / atol (sticky within a phase) / np.allclose(rtol=1e-7) comparisons and the
    special oracles (HumanEval/32 find_zero, MBPP set-equality, not-None and custom oracles);
  * MBPP+ input deserialisation; reliability_guard applied before the program runs.
A return value that is not plain data (see `_codec`) fails its input.
"""

# ruff: noqa: RUF005
# mypy: ignore-errors
# (MBPP+ input decoding mirrors EvalPlus literally.)

import contextlib
import ctypes
import hashlib
import itertools
import json
import math
import os
import pickle
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _codec
import _launch

PASS, FAIL, TIMEOUT = "pass", "fail", "timeout"
HEADER = struct.Struct("<cII")
TIME = struct.Struct("<d")
_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_CHILD_SUBREAPER, _PR_SET_PDEATHSIG = 36, 1

# ---------------------------------------------------------------------------------------------
# Captured builtins: the harness keeps working when a candidate patches `builtins`.
type, isinstance, len, abs, set, all, bool = type, isinstance, len, abs, set, all, bool
str, int, float, list, tuple, dict = str, int, float, list, tuple, dict
enumerate, range, getattr, repr, min, _exc = (
    enumerate,
    range,
    getattr,
    repr,
    min,
    BaseException,
)
_write, _exit, _monotonic, _setitimer = os.write, os._exit, time.monotonic, signal.setitimer
_signal = signal.signal

PASS, FAIL, TIMEOUT = "pass", "fail", "timeout"

# ---------------------------------------------------------------------------------------------
# Special oracles (evalplus/eval/_special_oracle.py)
MBPP_OUTPUT_NOT_NONE_TASKS = ("check_str", "text_match_three", "text_starta_endb")
MBPP_OUTPUT_SET_EQ_TASKS = (
    "similar_elements",
    "find_char_long",
    "common_in_nested_lists",
    "extract_singly",
    "larg_nnum",
    "intersection_array",
    "find_dissimilar",
    "Diff",
)


def _surface_Area(base_edge, height):
    slant_height = math.sqrt((base_edge / 2) ** 2 + height**2)
    base_area = base_edge**2
    lateral_area = 4 * (base_edge * slant_height) / 2
    return round(base_area + lateral_area)


def _digit_distance_nums(num1, num2):  # oracle for Mbpp/558
    s1, s2 = str(num1), str(num2)
    width = max(len(s1), len(s2))
    s1, s2 = s1.zfill(width), s2.zfill(width)
    return sum(abs(int(a) - int(b)) for a, b in zip(s1, s2, strict=True))


def _poly(xs, x):  # oracle for HumanEval/32
    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))


# ---------------------------------------------------------------------------------------------
# MBPP+ input deserialisation (evalplus/data/mbpp.py: mbpp_deserialize_inputs)
def _tuples(inputs):
    return [[tuple(lst) for lst in inp] for inp in inputs]


def _all_tuples(x):
    return tuple(_all_tuples(i) for i in x) if isinstance(x, list) else x


_MBPP_DESER = {}
for _n in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616):
    _MBPP_DESER[_n] = _tuples
for _n in (630, 726, 740, 744, 809):
    _MBPP_DESER[_n] = _tuples
for _n in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
    _MBPP_DESER[_n] = lambda inputs: [[[tuple(x) for x in ll] for ll in inp] for inp in inputs]
for _n in (75, 413, 444, 753):
    _MBPP_DESER[_n] = lambda inputs: [[[tuple(x) for x in inp[0]]] + [inp[1]] for inp in inputs]
for _n in (106, 750):
    _MBPP_DESER[_n] = lambda inputs: [[inp[0]] + [tuple(inp[1])] for inp in inputs]
_MBPP_DESER[115] = lambda inputs: [
    [[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]]
    for inp in inputs
]
_MBPP_DESER[124] = lambda inputs: [(float(inp[0]), complex(inp[1])) for inp in inputs]
for _n in (250, 405, 446, 617, 720, 763, 808):
    _MBPP_DESER[_n] = lambda inputs: [[tuple(inp[0])] + [inp[1]] for inp in inputs]
for _n in (259, 401, 445):
    _MBPP_DESER[_n] = lambda inputs: [
        [tuple(lst) for lst in [[tuple(x) for x in ll] for ll in inp]] for inp in inputs
    ]
_MBPP_DESER[278] = lambda inputs: [
    [tuple(lst) for lst in [[tuple(i) if isinstance(i, list) else i for i in inp[0]]]]
    for inp in inputs
]
_MBPP_DESER[307] = lambda inputs: [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
_MBPP_DESER[722] = lambda inputs: [
    [{k: tuple(v) for k, v in inp[0].items()}] + inp[1:] for inp in inputs
]
_MBPP_DESER[252] = lambda inputs: [[complex(inp[0])] for inp in inputs]
for _n in (580, 615, 791):
    _MBPP_DESER[_n] = lambda inputs: [_all_tuples(inp) for inp in inputs]


def deserialize_inputs(dataset: str, task_id: str, inputs: list) -> list:
    """Inputs as EvalPlus passes them to the function (MBPP+ needs tuples, sets, complex)."""
    if dataset != "mbpp" or not task_id.startswith("Mbpp/"):
        return inputs
    try:
        number = int(task_id.rsplit("/", 1)[-1])
    except ValueError:
        return inputs
    conv = _MBPP_DESER.get(number)
    return conv(inputs) if conv else inputs


# ---------------------------------------------------------------------------------------------
# Framing with the parent


class _Channel:
    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd

    def _read_exact(self, n: int) -> bytes | None:
        chunks, got = [], 0
        while got < n:
            b = os.read(self.rfd, min(n - got, 1 << 20))
            if not b:
                return None
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def recv(self):
        head = self._read_exact(8)
        if head is None:
            return None
        body = self._read_exact(struct.unpack("<Q", head)[0])
        return None if body is None else pickle.loads(body)

    def send(self, obj) -> None:
        body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        data = memoryview(struct.pack("<Q", len(body)) + body)
        while data:
            n = os.write(self.wfd, data)
            data = data[n:]


# ---------------------------------------------------------------------------------------------
# Running one request in a zygote


class _ZygoteDied(Exception):
    pass


class _Frames:
    """The worker's end of one job: the request pipe (also control bytes) and the report."""

    def __init__(self, zygote: _launch.Zygote, req: dict, wall_s: float) -> None:
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        try:
            socket.send_fds(zygote.ctl, [b"run"], [req_r, rep_w])
        except OSError as exc:
            self.close()
            raise _ZygoteDied(f"zygote gone: {exc}") from None
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.deadline = time.monotonic() + wall_s
        self.buf, self.lost = bytearray(), ""
        # inputs travel apart from the header, pre-encoded (a task's are encoded only once)
        phases = [dict(p) for p in req["phases"]]
        blobs = [p.pop("inputs", []) for p in phases]
        header = _codec.dumps(req | {"phases": phases})
        parts = [header, *(_encoded(b) for b in blobs)]
        with contextlib.suppress(OSError):  # a dead monitor: its summary (or none) tells
            for part in parts:
                self._write(struct.pack("<Q", len(part)) + part)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.req_w, view) :]

    def control(self, byte: bytes) -> None:
        with contextlib.suppress(OSError):
            self._write(byte)

    def _fill(self, n: int) -> bool:
        while len(self.buf) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise _ZygoteDied("the sandbox did not finish in time")
            ready, _, _ = select.select([self.rep_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.rep_r, min(16 << 20, max(1 << 20, n - len(self.buf))))
            if not chunk:
                return False
            self.buf += chunk
        return True

    def next(self) -> tuple[bytes, int, bytes] | None:
        """The next frame (kind, arg, payload), None at end of the report."""
        if not self._fill(HEADER.size):
            return None
        kind, arg, size = HEADER.unpack(self.buf[: HEADER.size])
        if not self._fill(HEADER.size + size):
            return None
        payload = bytes(self.buf[HEADER.size : HEADER.size + size])
        del self.buf[: HEADER.size + size]
        return kind, arg, payload

    def next_or_none(self) -> tuple[bytes, int, bytes] | None:
        """`next`, or None when the sandbox failed to finish (`lost` says why)."""
        try:
            return self.next()
        except _ZygoteDied as exc:
            self.lost = str(exc)
            return None

    def close(self) -> None:
        for fd in (self.req_w, self.rep_r):
            with contextlib.suppress(OSError):
                os.close(fd)


def _encoded(inputs) -> bytes:
    return inputs if isinstance(inputs, bytes) else _codec.dumps(inputs)


def _summary(payload: bytes) -> dict:
    try:
        s = json.loads(payload)
    except ValueError:
        s = {}
    return s if isinstance(s, dict) else {}


def _died_note(summary: dict) -> str:
    status = summary.get("status")
    if isinstance(status, int) and os.WIFSIGNALED(status):
        return f"died:sig{os.WTERMSIG(status)}"
    return "exited"


def _exc_name(payload: bytes) -> str:
    return payload[TIME.size :].decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# Verdicts


def _is_floats(x) -> bool:
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray):
        return x.dtype == np.float64 or x.dtype == np.float32
    return False


def _allclose(out, exp, atol) -> bool:
    """EvalPlus's tolerance test, on arrays of one shape: numpy broadcasts [[]] against
    [x] to an empty comparison, which allclose calls close (red team, session 17)."""
    import numpy as np

    if np.shape(out) != np.shape(exp):
        return False
    return bool(np.allclose(out, exp, rtol=1e-07, atol=atol))


def _mbpp_match(entry_point: str, out, exp, inp, atol, exact_match: bool) -> bool:
    if entry_point == "are_equivalent":  # Mbpp/164
        return exact_match or True
    if entry_point == "sum_div":  # Mbpp/295
        return exact_match or out == 0
    if entry_point == "surface_Area":  # Mbpp/581
        return exact_match or abs(out - _surface_Area(*inp)) <= atol
    if entry_point == "digit_distance_nums":  # Mbpp/558
        return exact_match or out == _digit_distance_nums(*inp)
    if entry_point in MBPP_OUTPUT_SET_EQ_TASKS:  # a list's hashes were never checked
        return set(_codec.hashed(list(out))) == set(_codec.hashed(list(exp)))
    if entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
        if isinstance(out, bool):
            return out == exp
        return exp == (out is not None)
    return exact_match


class _Phase:
    """One phase's outputs compared as they arrive (EvalPlus unsafe_execute, fast_check)."""

    def __init__(self, task, name: str) -> None:
        spec = task.spec
        self.name, self.dataset, self.entry_point = name, task.dataset, spec["entry_point"]
        if name == "original":  # the benchmark's own asserts: running through is passing
            self.inputs, self.expected = [()], [None]
        else:
            self.inputs, self.expected = task.inputs[name], task.expected[name]
        self.atol = spec["atol"]
        self.next = 0
        self.result: dict | None = None

    def _end(self, outcome: str, n: int, fail_index, note: str) -> None:
        self.result = {"outcome": outcome, "n": n, "fail_index": fail_index, "note": note[:80]}

    def check(self, out, i: int) -> None:
        """Raise (AssertionError or whatever the comparison raises) when `out` is wrong."""
        if self.name == "original":
            return
        exp, inp = self.expected[i], self.inputs[i]
        if isinstance(out, _codec.Opaque):
            raise AssertionError("not plain data")
        exact_match = out == exp
        if self.dataset == "mbpp":
            exact_match = _mbpp_match(self.entry_point, out, exp, inp, self.atol, exact_match)
        if self.dataset == "humaneval" and self.entry_point == "find_zero":
            # EvalPlus 0.3.1 `continue`s here without counting the input as passed,
            # so it fails every find_zero candidate; we apply the oracle as intended.
            if not abs(_poly(*inp, out)) <= self.atol:
                raise AssertionError("poly(x) != 0")
            return
        if self.atol == 0 and _is_floats(exp):
            self.atol = 1e-6  # sticky for the rest of the phase, as in EvalPlus
        if not exact_match and self.atol != 0:
            if type(out) != type(exp):
                raise AssertionError("type")
            if isinstance(exp, (list, tuple)) and len(out) != len(exp):
                raise AssertionError("len")
            if not _allclose(out, exp, self.atol):
                raise AssertionError("allclose")
        elif not exact_match:
            raise AssertionError("mismatch")

    def frame(self, kind: bytes, i: int, payload: bytes) -> None:
        """Account for one output frame of this phase."""
        if self.result is not None:
            return
        if kind == b"L":
            self._end(FAIL, 0, 0, "load:" + payload.decode("utf-8", "replace"))
            return
        if i != self.next or i >= len(self.expected):
            self._end(FAIL, i + 1, self.next, "protocol")
            return
        self.next += 1
        if kind == b"T":
            self._end(TIMEOUT, i + 1, i, "_TimeoutException")
        elif kind == b"E":
            self._end(FAIL, i + 1, i, _exc_name(payload)[:80])
        else:
            try:
                self.check(_codec.loads(payload[TIME.size :]), i)
            except BaseException as exc:  # a comparison that raises fails, as in EvalPlus
                self._end(FAIL, i + 1, i, type(exc).__name__)

    def done(self) -> None:
        if self.result is None:
            if self.next == len(self.inputs):
                self._end(PASS, len(self.inputs), None, "-")
            else:
                self._end(FAIL, self.next, self.next, "stopped")


def _phase_request(task, name: str) -> dict:
    limits = task.info["limits"][name]
    cap = _phase_cap(limits, task.spec)
    wall = 3 * cap + 10.0 if task.spec["clock"] == "cpu" else cap
    phase = {"name": name, "limits": limits, "cap": cap, "wall": wall}
    if name == "original":
        phase["suffix"] = task.spec["original"]
    else:
        phase["inputs"] = task.encoded(name)
    return phase


def _wall(req: dict, setup_s: float) -> float:
    return sum(p["wall"] + setup_s for p in req["phases"]) + setup_s + 10.0


def _exchange(sandbox, req: dict, cfg: dict, on_frame) -> tuple[dict, str]:
    """Send `req` to a fresh job and feed its frames to `on_frame(kind, arg, payload, frames)`.

    Returns (the monitor's summary, the child's crash text). The summary frame and the crash
    frame are handled here for every mode; a job whose monitor never reported restarts the
    zygote and gets `{"killed": ...}` as its summary. A crash frame counts only before the
    child's first frame (its phase's start, sent before the program is loaded): after it,
    the program has run and the frame may be its own (a false positive "crashing" the
    sandbox to be labeled `error`, out of every count).
    """
    summary: dict = {}
    crash = ""
    started = False
    frames = sandbox.open(req, _wall(req, cfg["setup_s"]))
    try:
        while (frame := frames.next_or_none()) is not None:
            kind, arg, payload = frame
            if kind == b"Z":
                summary = _summary(payload)
                break
            if kind == b"C":
                crash = crash if started else payload.decode("utf-8", "replace")[:200]
            else:
                started = True
                on_frame(kind, arg, payload, frames)
    finally:
        frames.close()
    if not summary:
        sandbox.restart()  # the monitor did not finish its report: start afresh
        summary = {"killed": frames.lost or "lost"}
    return summary, crash


def run_candidate(sandbox, task, code: str, phases: list, cfg: dict) -> dict:
    """Run one candidate on the phases (original, base, then plus if base passed)."""
    order = [p for p in ("original", "base", "plus") if p in phases]
    req = {
        "mode": "cand",
        "code": code,
        "entry_point": task.spec["entry_point"],
        "clock": task.spec["clock"],
        "phases": [_phase_request(task, p) for p in order],
    }
    states = [_Phase(task, p) for p in order]
    current: _Phase | None = None

    def on_frame(kind: bytes, arg: int, payload: bytes, frames) -> None:
        nonlocal current
        if kind == b"S" and arg < len(states):
            current = states[arg]
        elif kind == b"D" and current is not None:
            current.done()
            go = current.result["outcome"] == PASS or current.name == "original"
            frames.control(b"n" if go else b"q")
            current = None
        elif kind in (b"V", b"E", b"T", b"L") and current is not None:
            current.frame(kind, arg, payload)
            if current.result is not None and current.name != "original":
                frames.control(b"q")  # fail fast (a "q" also ends the job at "D")

    t0 = time.monotonic()
    summary, crash = _exchange(sandbox, req, cfg, on_frame)
    results = {s.name: s.result for s in states if s.result is not None}
    if current is not None and current.result is None:
        killed = summary.get("killed")
        if killed == "garbage":
            results[current.name] = {
                "outcome": FAIL,
                "n": 0,
                "fail_index": None,
                "note": "protocol",
            }
        elif killed:
            results[current.name] = {"outcome": TIMEOUT, "n": 0, "fail_index": None, "note": "cap"}
        else:
            note = _died_note(summary)
            results[current.name] = {"outcome": FAIL, "n": 0, "fail_index": None, "note": note}
    crash = crash or summary.get("error", "")
    if not crash:
        _never_started(states, results, summary)
    return {"phases": results, "runtime_s": time.monotonic() - t0, "crash": crash}


def _never_started(states: list, results: dict, summary: dict) -> None:
    """The phase after one the child was told to go on from, when it never started: the
    program ended its run (a false positive leaving before the plus phase would be
    `error`, out of every count) or stalled before it (stopped by the monitor)."""
    for before, phase in itertools.pairwise(states):
        told = before.name in results and (
            results[before.name]["outcome"] == PASS or before.name == "original"
        )
        if told and phase.name not in results:
            outcome, note = (TIMEOUT, "cap") if summary.get("killed") else (FAIL, "ended")
            results[phase.name] = {"outcome": outcome, "n": 0, "fail_index": None, "note": note}
        if phase.name not in results:
            return


# ---------------------------------------------------------------------------------------------
# Probing (auditor.behavior): a candidate's outputs on given inputs, as fingerprints

_FP_MAX_NODES = 100_000
_FP_MAX_DEPTH = 100
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _fp_number(x) -> str:
    """Numbers that compare equal get one form; floats keep 6 significant digits."""
    if isinstance(x, float):
        if x != x:
            return "nan"
        if x in (math.inf, -math.inf):
            return "inf" if x > 0 else "-inf"
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        return format(x, ".6g")
    x = int(x)
    return str(x) if abs(x) < 10**15 else "i" + hex(x)


class _Fingerprint:
    """Canonical text of a value (bounded), fed into sha256.

    Mirrors `==` where the tests do: bool/int/float by value, set == frozenset; list and
    tuple differ. Objects of other types count by type name only (no repr is called).
    """

    def __init__(self) -> None:
        self.nodes = 0

    def text(self, x, depth: int = 0) -> str:
        self.nodes += 1
        if self.nodes > _FP_MAX_NODES or depth > _FP_MAX_DEPTH:
            return "..."
        t = type(x)
        if x is None:
            return "N"
        if t is bool or t is int or t is float:
            return _fp_number(x)
        if t is complex:
            return "c(" + _fp_number(x.real) + "," + _fp_number(x.imag) + ")"
        if t is str:
            return "s" + str(len(x)) + ":" + x
        if t is bytes or t is bytearray:
            return "b" + str(len(x)) + ":" + x.hex()
        if t is list or t is tuple:
            inner = ",".join([self.text(v, depth + 1) for v in x])
            return ("[" + inner + "]") if t is list else ("(" + inner + ")")
        if t is set or t is frozenset:
            return "{" + ",".join(sorted(self.text(v, depth + 1) for v in x)) + "}"
        if t is dict:
            items = sorted(
                self.text(k, depth + 1) + ":" + self.text(v, depth + 1) for k, v in x.items()
            )
            return "d{" + ",".join(items) + "}"
        if isinstance(x, _codec.Opaque):
            return "o:" + x.name
        if t is _codec.Carry:
            return self.text(x.value, depth + 1)
        np = sys.modules.get("numpy")
        if np is not None:
            if isinstance(x, np.ndarray):
                return "nd" + self._array(x, np, depth)
            if isinstance(x, np.generic):
                return self.text(x.item(), depth + 1)
        if isinstance(x, (int, float)):  # int/float subclasses (IntEnum, ...) by value
            return _fp_number(x)
        return "o:" + str(getattr(t, "__name__", "?"))

    def _array(self, x, np, depth: int) -> str:
        """An array as its nested lists; past the node budget (counting the lists `tolist`
        would build, `_codec.listed_size`: a (10**7, 0) array is 29 bytes on the wire, and
        so is (10**3, 10**3, 10**3, 0, 1), 10**9 lists) its dtype, shape and bytes."""
        if _codec.listed_size(x.shape) > _FP_MAX_NODES - self.nodes:
            self.nodes = _FP_MAX_NODES
            data = hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()
            return f"big:{x.dtype.str}:{x.shape}:{data}"
        return self.text(x.tolist(), depth + 1)


def fingerprint(x) -> str:
    """The value fingerprint: "v:" + sha256 of the canonical text of `x`."""
    text = _Fingerprint().text(x)
    return "v:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _safe_name(name) -> str:
    name = str(name)[:60]
    return "".join(c for c in name if c in _NAME_CHARS) or "?"


# ---------------------------------------------------------------------------------------------
# Ground truth: the reference runs in its own zygote, under the same limits


class _Task:
    """A task as the worker keeps it: inputs as passed to the function, expected outputs."""

    def __init__(self, spec: dict, info: dict, expected: dict) -> None:
        self.spec = spec
        self.info = info  # times, limits, original-test status (JSON-able)
        self.dataset = spec["dataset"]
        self.inputs = {
            "base": deserialize_inputs(spec["dataset"], spec["task_id"], spec["base_input"]),
            "plus": deserialize_inputs(spec["dataset"], spec["task_id"], spec["plus_input"]),
        }
        self.expected = expected
        self._encoded: dict = {}

    def encoded(self, phase: str) -> bytes:
        """The phase's inputs in the wire format (encoded once per task)."""
        if phase not in self._encoded:
            self._encoded[phase] = _codec.dumps(self.inputs[phase])
        return self._encoded[phase]


def _limits(times: list, spec: dict) -> list:
    return [max(spec["min_time_limit"], spec["time_factor"] * t) for t in times]


def _phase_cap(limits: list, spec: dict) -> float:
    # EvalPlus: timeout = min(60, sum(limits)) + 1, then p.join(timeout + 1)
    return min(spec["max_phase_s"], sum(limits)) + 2.0


def _reference_phase(name: str, spec: dict, inputs: list | None) -> dict:
    cap = float(spec["max_phase_s"])
    wall = 3 * cap + 10.0 if spec["clock"] == "cpu" else cap
    phase = {"name": name, "cap": cap, "wall": wall}
    if inputs is None:
        return phase | {"limits": [cap], "suffix": spec["original"]}
    return phase | {"limits": [cap] * len(inputs), "inputs": inputs}


def _reference_frame(kind: bytes, arg: int, payload: bytes, outs: list, times: list) -> str:
    """Record one output frame of a reference's phase; why it failed, or ""."""
    if kind == b"V" and arg == len(outs):
        times.append(TIME.unpack(payload[: TIME.size])[0])
        try:
            outs.append(_codec.loads(payload[TIME.size :]))
        except ValueError as exc:
            return f"unreadable output ({exc})"
        return ""
    if kind == b"E":
        return _exc_name(payload)
    if kind == b"L":
        return payload.decode("utf-8", "replace")
    return "times out" if kind == b"T" else ""


def _run_reference(sandbox, spec: dict, mode: str, phases: list, cfg: dict) -> tuple:
    """Outputs and times per phase of the reference, or the first error (one line)."""
    req = {"mode": mode, "code": spec["reference"], "entry_point": spec["entry_point"],
           "clock": spec["clock"], "verbose": True, "phases": phases}  # fmt: skip
    outs: dict = {p["name"]: [] for p in phases}
    times: dict = {p["name"]: [] for p in phases}
    error, current = "", None

    def on_frame(kind: bytes, arg: int, payload: bytes, frames) -> None:
        nonlocal error, current
        if kind == b"S" and arg < len(phases):
            current = phases[arg]["name"]
        elif kind == b"D":
            frames.control(b"q" if error else b"n")
            current = None
        elif current is not None and not error:
            why = _reference_frame(kind, arg, payload, outs[current], times[current])
            if why:  # the first failure names its phase, once
                error = f"fails on {current} inputs: {why}"
                frames.control(b"q")

    summary, _crash = _exchange(sandbox, req, cfg, on_frame)  # a reference's crash is its error
    if not error and current is not None:
        why = "exceeds its time cap" if summary.get("killed") else _died_note(summary)
        error = f"fails on {current} inputs: {why}"
    if not error and summary.get("error"):
        error = "sandbox: " + summary["error"]
    return outs, times, error[:500]


def compute_ground_truth(sandbox, spec: dict, cfg: dict, times: dict | None = None):
    """Expected outputs and (unless given) reference times; blob for other workers."""
    task = _Task(spec, {}, {})
    phases = [_reference_phase(p, spec, task.inputs[p]) for p in ("base", "plus")]
    outs, measured, error = _run_reference(sandbox, spec, "ref", phases, cfg)
    info: dict = {"error": None, "original_error": None, "original_time": None}
    if error:
        info["error"] = f"reference {error}"
    if spec["dataset"] == "mbpp" and spec["entry_point"] in MBPP_OUTPUT_NOT_NONE_TASKS:
        outs = {k: [o is not None for o in v] for k, v in outs.items()}
    task.expected = outs
    if spec.get("original"):
        orig = [_reference_phase("original", spec, None)]
        _, t, err = _run_reference(sandbox, spec, "orig", orig, cfg)
        info["original_error"] = err.removeprefix("fails on original inputs: ") or None
        measured["original"] = t["original"] or [0.0]
    for k, v in measured.items():
        if len(v) < len(task.inputs.get(k, v)):  # a failed reference: no limits to speak of
            measured[k] = v + [0.0] * (len(task.inputs[k]) - len(v))
    times = times or measured
    info["times"] = times
    info["limits"] = {k: _limits(v, spec) for k, v in times.items()}
    task.info = info
    try:
        blob = pickle.dumps(task.expected, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        blob = None  # unpicklable expected outputs: other workers recompute them
    return task, blob


# ---------------------------------------------------------------------------------------------
# Probes


def _decode_probe_inputs(dataset: str, task_id: str, inputs: list) -> list:
    """Inputs decoded one by one, so a mutated input the decoder rejects spoils only itself."""
    out = []
    for inp in inputs:
        try:
            out.append(deserialize_inputs(dataset, task_id, [inp])[0])
        except Exception:
            out.append(None)
    return out


def _probe_time(kind: bytes, payload: bytes, limit: float) -> float:
    """The input's time as the child measured it (its clock), within [0, limit]; NaN for a
    timeout (the caller knows the limit) or a frame too short to hold one.

    The child runs the candidate's code, so a candidate could forge the times of its own
    frames (in either direction); they land only in its own result: no program can reach
    another program's child, so it cannot change any other program's time."""
    if kind == b"T" or len(payload) < TIME.size:
        return math.nan
    took = TIME.unpack(payload[: TIME.size])[0]
    return min(max(took, 0.0), limit) if math.isfinite(took) else math.nan


def _least_times(took: list, payload: bytes, limit: float) -> None:
    """Each input's least time: its first one (`took`) or the repeated passes' ("R" frame:
    one time per input); a malformed frame changes nothing. Inputs without a first time
    (timeouts) keep NaN. As with `_probe_time`, the times are the program's own to forge."""
    if len(payload) != TIME.size * len(took):
        return
    for i, (again,) in enumerate(TIME.iter_unpack(payload)):
        if math.isfinite(took[i]) and math.isfinite(again):
            took[i] = min(took[i], min(max(again, 0.0), limit))


# Output text a probe asked for its values keeps per job (`ProbeJob.values`), re-encoded
# here (what the child wrote is its own: padding it must not push others past the cap);
# outputs past it come back as None, as an exception's do.
VALUES_CAP = 16 << 20


def _probe_output(kind: bytes, payload: bytes, room: list) -> tuple[str, str | None]:
    """(the output's fingerprint, its value in the codec's canonical text while `room[0]`
    bytes are left, else None); `room` None: no value asked for."""
    if kind == b"T":
        return "timeout", None
    if kind == b"E":
        return "exc:" + _safe_name(_exc_name(payload)), None
    try:
        value = _codec.loads(payload[TIME.size :])
    except ValueError:
        return "exc:BadOutput", None
    fp = fingerprint(value)
    if room is None:
        return fp, None
    try:
        text = _codec.dumps(value)
    except (ValueError, _codec.Unencodable):
        return fp, None
    if len(text) > room[0]:
        return fp, None
    room[0] -= len(text)
    return fp, text.decode("ascii")


def probe_candidate(sandbox, probe: dict, cfg: dict) -> dict:
    """Run one program on the probe inputs; a fingerprint and a time per input.

    Wall caps: setup, then 3x the per-input limit + 1 s per input, within 2x the total + 2 s.
    Inputs never reported get "timeout" when the child was stopped or finished early, and
    "died" when it died. Inputs the benchmark's decoding rejects are "exc:BadInput".
    Times (`_probe_time`, seconds in the probe's clock) are NaN for the inputs that timed
    out, were never reported or were rejected by the decoding. With `values`, also each
    output's canonical text in the codec's format (`_probe_output`; None where there is no
    value).
    """
    inputs = _decode_probe_inputs(probe["dataset"], probe["task_id"], list(probe["inputs"]))
    good = [i for i, inp in enumerate(inputs) if inp is not None]
    per = float(probe["per_input_s"])
    cap = 2 * float(probe["total_s"]) + 2.0
    phase = {"name": "probe", "inputs": [inputs[i] for i in good], "limits": [per] * len(good),
             "cap": cap, "wall": cap, "item_wall": 3 * per + 1.0, "total_s": probe["total_s"],
             "repeats": int(probe.get("repeats", 0)),
             "repeat_below_s": float(probe.get("repeat_below_s", 0.0)),
             "after_timeout_s": float(probe.get("after_timeout_s", 0.0))}  # fmt: skip
    req = {"mode": "probe", "code": probe["code"], "entry_point": probe["entry_point"],
           "clock": probe["clock"], "phases": [phase]}  # fmt: skip
    got: list = []
    took: list = []
    vals: list = []
    room = [VALUES_CAP] if probe.get("values") else None  # bytes of output text still kept
    finished = False

    def on_frame(kind: bytes, arg: int, payload: bytes, frames) -> None:
        nonlocal got, finished
        if kind == b"L":
            got = ["exc:" + _safe_name(payload.decode("utf-8", "replace"))] * len(good)
            took.clear()
            vals.clear()
            finished = True
        elif kind in (b"V", b"E", b"T") and arg == len(got) < len(good):
            fp, value = _probe_output(kind, payload, room)
            got.append(fp)
            took.append(_probe_time(kind, payload, per))
            vals.append(value)
        elif kind == b"R" and len(took) == len(good):
            _least_times(took, payload, per)
        elif kind == b"D":
            finished = True

    t0 = time.monotonic()
    summary, crash = _exchange(sandbox, req, cfg, on_frame)
    rest = "timeout" if finished or summary.get("killed") else "died"
    got += [rest] * (len(good) - len(got))
    took += [math.nan] * (len(good) - len(took))  # an "L" frame: no input ran
    vals += [None] * (len(good) - len(vals))
    fps, times = ["exc:BadInput"] * len(inputs), [math.nan] * len(inputs)
    values: list = [None] * len(inputs)
    for i, fp, t, v in zip(good, got, took, vals, strict=True):
        fps[i], times[i], values[i] = fp, t, v
    crash = crash or summary.get("error", "")
    runtime = time.monotonic() - t0
    cpu = summary.get("cpu_s")
    cpu = float(cpu) if isinstance(cpu, int | float) and math.isfinite(cpu) else math.nan
    out = {"fingerprints": fps, "times": times, "runtime_s": runtime, "crash": crash, "cpu_s": cpu}
    return out | ({"values": values} if probe.get("values") else {})


# ---------------------------------------------------------------------------------------------
# The worker


class _Sandbox:
    """A zygote, started on first use and restarted when it fails (see `_launch`)."""

    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.zygote: _launch.Zygote | None = None

    def start(self) -> dict:
        """Start the zygote now; its hello info (raises OSError when it cannot start)."""
        if self.zygote is None:
            self.zygote = _launch.Zygote(self.cfg, self.cfg["mode"] == "bwrap")
            _LIVE.add(self.zygote.proc.pid)
        return self.zygote.info

    def open(self, req: dict, wall_s: float) -> _Frames:
        for attempt in range(2):
            try:
                self.start()
                return _Frames(self.zygote, req, wall_s)
            except (_ZygoteDied, OSError):
                self.restart()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def restart(self) -> None:
        """Kill the zygote and everything it started."""
        if self.zygote is not None:
            _LIVE.discard(self.zygote.proc.pid)
            self.zygote.kill()
            self.zygote = None
        _kill_descendants(_LIVE)

    def close(self) -> None:
        if self.zygote is not None:
            _LIVE.discard(self.zygote.proc.pid)
            self.zygote.close()
            self.zygote = None
        _kill_descendants(_LIVE)


_LIVE: set[int] = set()  # the worker's running zygotes (or their bubblewrap processes)


def _kill_descendants(keep: set[int]) -> None:
    """Kill and reap every process left under this worker (a child subreaper) but the live
    zygotes: only the fallback leaves any (orphaned monitors and children of a killed
    zygote), as bubblewrap's PID namespace takes its processes along."""
    me = os.getpid()
    while True:
        try:
            with open(f"/proc/{me}/task/{me}/children") as fh:
                pids = [int(p) for p in fh.read().split() if int(p) not in keep]
        except OSError:
            pids = []
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)


def _choose(cfg: dict) -> tuple[dict, _Sandbox, str]:
    """A started candidate sandbox under bubblewrap if allowed and possible, else the
    fallback (OSError when isolation is required); with the config and, for the fallback,
    why."""
    reason = "isolation turned off"
    if cfg["isolation"] != "off":
        sandbox = _Sandbox(cfg | {"mode": "bwrap"})
        try:
            sandbox.start()
            return sandbox.cfg, sandbox, ""
        except OSError as exc:
            reason = str(exc) or type(exc).__name__
            if cfg["isolation"] == "require":
                raise OSError(f"namespaces unavailable: {reason}") from None
    sandbox = _Sandbox(cfg | {"mode": "none"})
    sandbox.start()
    return sandbox.cfg, sandbox, reason


def _handle(msg, tasks: dict, sandboxes: dict, cfg: dict):
    """One message from the parent; the reply or None."""
    kind = msg[0]
    if kind == "gt":
        task, blob = compute_ground_truth(sandboxes["ref"], msg[1], cfg)
        tasks[task.spec["task_id"]] = task
        return ("gt", task.spec["task_id"], task.info, blob)
    if kind == "load":
        spec, info, blob = msg[1], msg[2], msg[3]
        if blob is None:
            task, _ = compute_ground_truth(sandboxes["ref"], spec, cfg, info["times"])
        else:
            task = _Task(spec, info, pickle.loads(blob))
        tasks[spec["task_id"]] = task
        return None
    if kind == "drop":
        tasks.pop(msg[1], None)
        return None
    if kind == "run":
        _, job_id, task_id, code, phases = msg
        task = tasks[task_id]
        if task.info.get("error"):
            return ("result", job_id, {"phases": {}, "runtime_s": 0.0})
        return ("result", job_id, run_candidate(sandboxes["cand"], task, code, phases, cfg))
    if kind == "probe":
        return ("probe", msg[1], probe_candidate(sandboxes["cand"], msg[2], cfg))
    raise ValueError(f"unknown message {kind!r}")


def _die_with_parent() -> None:
    """Exit the moment the auditor process dies; bubblewrap's --die-with-parent takes the
    zygotes and their jobs along. The kernel's PR_SET_PDEATHSIG kills the worker even when
    its main thread sits in one long C call holding the GIL (red team, session 18: a
    worker building a hash-colliding set outlived the auditor by hours, as the watching
    thread never got the GIL); it fires when the *thread* that started the worker ends, so
    the auditor starts every worker from one thread that lives as long as it does
    (`runner._spawn`). The pidfd thread stays as a second line."""
    parent = os.getppid()
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        fd = os.pidfd_open(parent)
    except OSError:
        return  # no pidfd: the closed protocol pipe still ends the worker after its job

    def watch() -> None:
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def main() -> None:
    _die_with_parent()
    _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # The protocol fds move away from 0/1 so that stray prints cannot corrupt frames.
    chan = _Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cfg = dict(chan.recv()[1])
    # started with -S (site's .pth hooks make every fork slower): add site-packages by hand
    sys.path.extend(p for p in cfg.get("site_paths", ()) if p not in sys.path)
    try:
        cfg, cand, reason = _choose(cfg)
    except OSError as exc:
        chan.send(("ready", {"error": f"cannot start the sandbox: {exc}"}))
        return
    sandboxes = {"cand": cand, "ref": _Sandbox(cfg)}
    info = {"mode": cfg["mode"], "reason": reason, "pid": os.getpid(), **cand.start()}
    chan.send(("ready", info))
    tasks: dict = {}
    try:
        while (msg := chan.recv()) is not None:
            reply = _handle(msg, tasks, sandboxes, cfg)
            if reply is not None:
                chan.send(reply)
    finally:
        for sb in sandboxes.values():
            sb.close()


if __name__ == "__main__":
    main()
