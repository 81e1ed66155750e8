"""A query program that runs ONE candidate, with line tracing and its mutants, in the sandbox.

The sandbox's probe protocol runs a program's entry point on inputs and sends back one
fingerprint per call (`auditor.behavior.prober`). The harness is such a program: its entry
point `__auditor_query__(kind, *args)` answers

  ("run", i, *args)    the candidate's output on weak input i, with sys.settrace recording
                       the candidate's executed lines (tracing happens in the sandbox child)
  ("line", n)          True iff line n of the candidate ran during the earlier "run"s
  ("mut", k, i, *args) mutant k's output on weak input i; once mutant k has timed out or
                       returned something unequal to the candidate's output, it is not run
                       again (it raises at once: killed either way, this only saves time).
                       Mutants load exactly as the candidate does (same file name, same
                       path): canaries among them (`mutants.with_canaries`) must not stand out
  ("type", *args)      the name of the type of the candidate's output on args

Answers come back as fingerprints; the auditor decodes the few it needs (True/False, type
names) by fingerprinting the known vocabulary the same way (`decode`). Nothing of the
candidate's runs reaches the auditor's process except fingerprints.

The answers about lines and mutants are the candidate's process's word: it can rewrite them.
Questions whose answers the auditor knows ride along (lines that cannot run, equivalent
mutants), so a rewrite shows (`solo.tamper_evidence`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.sandbox._worker import fingerprint

ENTRY = "__auditor_query__"
# The canary lines and mutants (session 15) change no column's value for a program that does
# not inspect its own process (measured: reports/execution/README.md), so the execution
# schema the packaged model was trained for stays the same.
HARNESS_VERSION = "1"
TYPE_NAMES = (
    "int", "float", "bool", "str", "list", "tuple", "dict", "set", "frozenset", "NoneType",
    "bytes", "complex", "ndarray", "generator", "map", "filter", "range", "float64", "int64",
)  # fmt: skip

_TEMPLATE = """\
import sys as _aud_sys

# What the harness calls, taken and every source compiled before any candidate code runs:
# a candidate hooking builtins.compile told its canaries from its real mutants by their
# text and forged mutant survival (red team, session 18, A7).
_aud_exec, _aud_settrace, _aud_type = exec, _aud_sys.settrace, type
_AUD_ENTRY = {entry!r}
_AUD_CODES = {{}}
for _aud_k, _aud_src in enumerate(({source!r},) + {mutants!r}):
    try:
        _AUD_CODES[_aud_k - 1] = compile(_aud_src, "<aud-candidate>", "exec", dont_inherit=True)
    except BaseException:
        pass  # not loadable: _aud_load raises for it
del _aud_k, _aud_src
_aud_lines = set()
_aud_fns = {{}}
_aud_dead = set()
_aud_orig = {{}}


def _aud_load(k):
    if k not in _aud_fns:
        _aud_fns[k] = None
        g = {{}}
        if k not in _AUD_CODES:
            raise RuntimeError("not loadable")
        _aud_exec(_AUD_CODES[k], g)
        _aud_fns[k] = g[_AUD_ENTRY]
    if _aud_fns[k] is None:
        raise RuntimeError("not loadable")
    return _aud_fns[k]


def _aud_local(frame, event, arg):
    if event == "line":
        _aud_lines.add(frame.f_lineno)
    return _aud_local


def _aud_global(frame, event, arg):
    if frame.f_code.co_filename == "<aud-candidate>":
        return _aud_local
    return None


def __auditor_query__(kind, *args):
    if kind == "run":
        fn = _aud_load(-1)
        _aud_settrace(_aud_global)
        try:
            out = fn(*args[1:])
        finally:
            _aud_settrace(None)
        _aud_orig[args[0]] = out
        return out
    if kind == "line":
        return args[0] in _aud_lines
    if kind == "mut":
        k, i = args[0], args[1]
        if k in _aud_dead:
            raise LookupError("mutant already killed")
        fn = _aud_load(k)
        try:
            out = fn(*args[2:])
        except BaseException as exc:
            if "Timeout" in _aud_type(exc).__name__:
                _aud_dead.add(k)
            raise
        try:
            same = i in _aud_orig and bool(out == _aud_orig[i])
        except Exception:
            same = False
        if not same:
            _aud_dead.add(k)
        return out
    if kind == "type":
        return _aud_type(_aud_load(-1)(*args)).__name__
    raise ValueError(kind)
"""


def harness_program(code: str, entry_point: str, mutants: Sequence[str] = ()) -> str:
    """The query program for `code` (its entry point) and its `mutants`."""
    return _TEMPLATE.format(source=code, mutants=tuple(mutants), entry=entry_point)


def coverage_queries(
    base: Sequence[Sequence[Any]], lines: Sequence[int], amplified: Sequence[Sequence[Any]]
) -> list[list[Any]]:
    """Runs on the weak inputs (traced), line questions, output types: `solo.Answers.coverage`."""
    out: list[list[Any]] = [["run", i, *args] for i, args in enumerate(base)]
    out += [["line", n] for n in lines]
    out += [["type", *args] for args in (*base, *amplified)]
    return out


def mutant_queries(base: Sequence[Sequence[Any]], n_mutants: int) -> list[list[Any]]:
    """Runs on the weak inputs, then every mutant on them: `solo.Answers.mutants`."""
    out: list[list[Any]] = [["run", i, *args] for i, args in enumerate(base)]
    out += [["mut", k, i, *args] for k in range(n_mutants) for i, args in enumerate(base)]
    return out


def hang_queries(
    base: Sequence[Sequence[Any]], suspects: Sequence[tuple[int, int]]
) -> list[list[Any]]:
    """Per (mutant, weak input) suspect: the candidate's run on that input, then the
    mutant's (`solo.hang_suspects`, `solo.hung`)."""
    out: list[list[Any]] = []
    for k, i in suspects:
        out += [["run", i, *base[i]], ["mut", k, i, *base[i]]]
    return out


_TRUE, _FALSE = fingerprint(True), fingerprint(False)
_TYPES: Mapping[str, str] = {fingerprint(name): name for name in TYPE_NAMES}


def decode_bool(fp: str) -> bool | None:
    """True/False from a fingerprint; None when it is neither (an exception, a timeout)."""
    return True if fp == _TRUE else False if fp == _FALSE else None


def decode_type(fp: str) -> str | None:
    """A type name from a fingerprint ("other" for a name outside the vocabulary)."""
    if not fp.startswith("v:"):
        return None
    return _TYPES.get(fp, "other")
