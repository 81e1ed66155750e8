"""Feature extractors, the table, the cache, relative features and `auditor features`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from auditor import features
from auditor.cli import main
from auditor.features import runner
from auditor.features.ast_features import AstExtractor
from auditor.features.base import Item
from auditor.features.pylint_features import PylintExtractor
from auditor.features.radon_features import RadonExtractor
from auditor.features.ruff_features import FAMILIES, SELECT, RuffExtractor, family
from auditor.features.table import sidecar
from auditor.types import Candidate, Label, Outcome, Severity, Status, Task, sha256_text

CODE = '''import math


def f(x, y, unused):
    """Docstring."""
    # special case
    if x == 3:
        return 7
    total = 0
    for i in range(x):
        if i % 2 and y:
            total += i
    return total


def g(n):
    return [k * 2.5 for k in range(n)] if n > 0 else "none"
'''


def item(code: str) -> Item:
    return Item(sha256_text(code), code)


def cand(code: str, task: str = "T/0", sample: str = "0") -> Candidate:
    return Candidate(task_id=task, sample_id=sample, code=code)


def label(c: Candidate, weak: Outcome, strong: Outcome) -> Label:
    return Label(c.task_id, c.sample_id, c.sha256, weak, strong, Status.from_outcomes(weak, strong))


# --------------------------------------------------------------------------- extractors


def test_ast_counts_exact() -> None:
    x = AstExtractor().extract([item(CODE)])[0]
    assert not x.failed
    expected = {
        "ast.n_nodes": 57,
        "ast.max_depth": 8,
        "ast.n_functions": 2,
        "ast.n_params": 4,
        "ast.n_params_unused": 1,
        "ast.n_if": 2,
        "ast.n_ifexp": 1,
        "ast.n_for": 1,
        "ast.n_while": 0,
        "ast.n_comprehension": 1,
        "ast.n_loop": 2,
        "ast.n_return": 3,
        "ast.n_return_const": 1,
        "ast.n_compare": 2,
        "ast.n_compare_const": 2,
        "ast.n_branch_on_const": 1,
        "ast.n_boolop": 1,
        "ast.n_call": 2,
        "ast.n_import": 1,
        "ast.n_const": 7,  # the docstring is not a literal
        "ast.n_const_int": 5,
        "ast.n_const_float": 1,
        "ast.n_const_str": 1,
        "ast.n_distinct_const": 6,
        "ast.n_distinct_names": 7,
    }
    assert {k: x.features[k] for k in expected} == expected
    assert set(x.features) == set(AstExtractor.columns)
    assert x.aux["literals"] == ["n:2.5", "n:3", "n:7", "s:none"]


def test_radon_values_exact() -> None:
    x = RadonExtractor().extract([item(CODE)])[0]
    f = x.features
    assert (f["radon.cc_max"], f["radon.cc_sum"], f["radon.cc_mean"], f["radon.n_blocks"]) == (
        5.0,
        7.0,
        4.0,
        2.0,
    )
    raw = (f["radon.loc"], f["radon.lloc"], f["radon.sloc"], f["radon.comments"], f["radon.blank"])
    assert raw == (17.0, 12.0, 11.0, 1.0, 4.0)
    assert f["radon.h_volume"] == pytest.approx(73.57433114250613)
    assert f["radon.h_difficulty"] == pytest.approx(3.272727272727273)
    assert f["radon.h_effort"] == pytest.approx(240.78872010274733)
    assert f["radon.mi"] == pytest.approx(79.54871899752189)


def test_radon_mi_matches_radon_mi_visit() -> None:
    from radon.metrics import mi_visit

    assert RadonExtractor().extract([item(CODE)])[0].features["radon.mi"] == pytest.approx(
        mi_visit(CODE, True)
    )


RUFF_CODE = """def f(x):
    y = 1  # noqa
    print(x)
    if x == 42:
        return 3
    return 0
"""


def test_ruff_counts_families_and_ignores_noqa() -> None:
    x = RuffExtractor().extract([item(RUFF_CODE)])[0]
    f = x.features
    assert f["ruff.F841"] == 1  # the noqa comment does not hide it
    assert f["ruff.T201"] == 1
    assert f["ruff.PLR2004"] == 1  # x == 42
    assert f["ruff.F"] >= 1 and f["ruff.T20"] == 1
    lines = {(fd.code, fd.line) for fd in x.findings}
    assert {("ruff:F841", 2), ("ruff:T201", 3), ("ruff:PLR2004", 4)} <= lines
    assert f["ruff.total"] == sum(f[f"ruff.{fam}"] for fam in FAMILIES) == 3


# Trojan Source (CVE-2021-42574): each bidirectional control character, in a string and in
# a comment.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("char", list(BIDI))
def test_bidi_control_characters_are_high_findings_counted_as_before(char: str) -> None:
    # Red team s19, S2: reported at low severity, so `check` (fail-on high) passed them.
    code = f'def f(x):\n    s = "a{char}b"  # c{char}d\n    return s\n'
    x = RuffExtractor().extract([item(code)])[0]
    bidi = [fd for fd in x.findings if fd.code == "ruff:PLE2502"]
    assert [(fd.line, fd.severity) for fd in bidi] == [(2, Severity.HIGH)]
    assert x.features["ruff.PLE"] == 1  # counted once, as before: the columns are unchanged
    assert all(fd.severity is Severity.LOW for fd in x.findings if fd not in bidi)


def test_ruff_select_is_pinned_codes() -> None:
    assert all(family(code) is not None for code in SELECT)
    assert all(any(ch.isdigit() for ch in code) for code in SELECT)  # codes, not prefixes
    assert family("C901") == "C90" and family("C401") == "C4" and family("PLR2004") == "PLR"


PYLINT_CODE = """def f(x, unused):  # pylint: disable=unused-argument
    if x > 1:
        return 1
    else:
        return 2
"""


def test_pylint_counts_and_ignores_pragmas() -> None:
    x = PylintExtractor().extract([item(PYLINT_CODE)])[0]
    f = x.features
    assert not x.failed
    assert f["pylint.no-else-return"] == 1
    assert f["pylint.unused-argument"] == 1  # the pragma does not silence it
    assert (f["pylint.C"], f["pylint.R"], f["pylint.W"], f["pylint.total"]) == (1, 1, 1, 3)
    assert f["pylint.statements"] == 4
    assert f["pylint.score"] == pytest.approx(10 - 3 / 4 * 10)
    assert {(fd.symbol, fd.line) for fd in x.findings} == {
        ("missing-function-docstring", 1),
        ("no-else-return", 2),
        ("unused-argument", 1),
    }


def test_pylint_reads_the_text_under_its_coding_cookie() -> None:
    """pylint decodes a file by its cookie: a text declaring latin-1 is written in latin-1
    (its UTF-8 read `cafÃ©`, a syntax error); one its codec cannot write (a program given as
    a string) has no file pylint reads it from, and fails rather than be read otherwise."""
    code = "# -*- coding: latin-1 -*-\ndef caf\u00e9(x):\n    return caf\u00e9 == caf\u00e9\n"
    x = PylintExtractor().extract([item(code)])[0]
    assert not x.failed
    assert [f.message for f in x.findings if f.symbol == "comparison-with-itself"] == [
        "Redundant comparison - caf\u00e9 == caf\u00e9"
    ]
    assert PylintExtractor().extract([item("# coding: latin-1\ns = '\u20ac'\n")])[0].failed


def test_pylint_rows_cached_before_the_coding_cookie_fix_are_not_served(tmp_path: Path) -> None:
    """Before session 22 pylint was given a latin-1 text's UTF-8 and read it otherwise (a
    syntax error: failed). Rows cached then, under the key of that pylint and astroid, are
    recomputed, not served."""
    from importlib import metadata
    from platform import python_version

    from auditor.features.base import FAILED
    from auditor.features.cache import FeatureCache

    code = "# -*- coding: latin-1 -*-\ndef caf\u00e9(x):\n    return caf\u00e9 == caf\u00e9\n"
    it = item(code)
    tools = f"{metadata.version('pylint')}+astroid{metadata.version('astroid')}"
    cache = FeatureCache(tmp_path)
    cache.put("pylint", f"{PylintExtractor.version}|{tools}|py{python_version()}", {it.key: FAILED})
    got = runner.compute([it], ["pylint"], cache=cache, jobs=1)["pylint"][it.key]
    assert not got.failed and any(f.symbol == "comparison-with-itself" for f in got.findings)


def test_suppression_comments_are_counted_not_honoured() -> None:
    code = "x = 1  # noqa: F841\ny = 2  # pylint: disable=invalid-name\nz = 3  # type: ignore\n"
    x = runner.run_batch("rules", [item(code)])[0]
    assert x.features["rules.suppressions"] == 3
    plain = runner.run_batch("rules", [item("s = 1  # an ordinary comment\n")])[0]
    assert plain.features["rules.suppressions"] == 0


OTHER = [
    "def h(a):\n    return a + 1\n",
    "import os\n\ndef k(b):\n    for _ in b:\n        print(os.sep)\n",
    "def broken(:\n",
]


@pytest.mark.parametrize("name", ["ast", "radon", "ruff", "pylint", "rules"])
def test_values_do_not_depend_on_batch(name: str) -> None:
    alone = runner.run_batch(name, [item(CODE)])[0]
    batch = runner.run_batch(name, [item(o) for o in OTHER[:2]] + [item(CODE)] + [item(OTHER[2])])
    together = batch[2]
    assert alone.features == together.features
    assert alone.findings == together.findings
    assert alone.failed is together.failed is False


# --------------------------------------------------------------------------- robustness

DEEP = "x = " + "(" * 300 + "1" + ")" * 300 + "\n"
CHAIN = "x = " + " + ".join(["1"] * 20000) + "\n"
BIG = "def f(x):\n    return x\n" + "".join(f"v{i} = {i}\n" for i in range(110_000))

BAD = {
    "syntax": "def f(:\n    return\n",
    "empty": "",
    "surrogate": "def f():\n    return '\udcff'\n",
    "deep": DEEP,
    "chain": CHAIN,
    "big": BIG,
}


def test_bad_candidates_never_crash_or_drop_rows(tmp_path: Path) -> None:
    assert len(BIG) > 1_000_000
    cands = [cand(code, sample=name) for name, code in BAD.items()]
    table = features.extract(cands, cache_dir=tmp_path, jobs=1)
    assert [k[1] for k in table.keys] == list(BAD)
    assert table.values.shape == (len(BAD), len(features.columns()))
    row = {
        k[1]: dict(zip(table.columns, table.values[i], strict=True))
        for i, k in enumerate(table.keys)
    }
    for name, column in (
        ("ast", "n_nodes"),
        ("radon", "sloc"),
        ("ruff", "total"),
        ("pylint", "total"),
    ):
        assert row["syntax"][f"{name}.failed"] == 1
        assert math.isnan(row["syntax"][f"{name}.{column}"])
    assert row["syntax"]["rules.AUD901"] == 1
    assert row["empty"]["ast.failed"] == 0 and row["empty"]["ast.n_nodes"] == 1
    assert row["surrogate"]["ast.failed"] == 0 and row["surrogate"]["ast.n_const_str"] == 1
    assert row["deep"]["ast.failed"] == 1  # beyond the parser's nesting limit
    assert row["chain"]["pylint.failed"] == 1  # pylint's parser gives up; no crash here
    assert all(row["big"][f"{name}.failed"] == 1 for name in runner.EXTRACTORS)  # too big
    for r in row.values():  # every flag is 0/1; a value is NaN only where its extractor failed
        for name, ext in runner.EXTRACTORS.items():
            assert r[f"{name}.failed"] in (0.0, 1.0)
            assert any(math.isnan(r[c]) for c in ext.columns) == (r[f"{name}.failed"] == 1)


def test_failing_extractor_isolates_the_bad_item(monkeypatch: pytest.MonkeyPatch) -> None:
    ext = runner.EXTRACTORS["ast"]
    real = ext.extract

    def flaky(batch):  # type: ignore[no-untyped-def]
        if any("boom" in it.code for it in batch):
            raise RuntimeError("tool crashed")
        return real(batch)

    monkeypatch.setattr(ext, "extract", flaky)
    out = runner.run_batch("ast", [item("a = 1\n"), item("boom = 2\n"), item("c = 3\n")])
    assert [x.failed for x in out] == [False, True, False]


# --------------------------------------------------------------------------- cache


def test_cache_hits_on_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cands = [cand(CODE, sample="0"), cand(CODE, sample="1"), cand(OTHER[0], sample="2")]
    calls: dict[str, int] = {}
    for name, ext in runner.EXTRACTORS.items():
        real = ext.extract

        def counting(batch, _real=real, _name=name):  # type: ignore[no-untyped-def]
            calls[_name] = calls.get(_name, 0) + len(batch)
            return _real(batch)

        monkeypatch.setattr(ext, "extract", counting)
    first = features.extract(cands, cache_dir=tmp_path, jobs=1)
    assert calls == dict.fromkeys(runner.EXTRACTORS, 2)  # deduplicated: 2 unique programs
    calls.clear()
    second = features.extract(cands, cache_dir=tmp_path, jobs=1)
    assert calls == {}
    np.testing.assert_array_equal(first.values, second.values)
    assert features.findings(cands, cache_dir=tmp_path, jobs=1) and calls == {}


def test_tool_upgrade_recomputes_but_keeps_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cands = [cand(OTHER[0])]
    features.extract(cands, cache_dir=tmp_path, jobs=1)
    schema = features.schema_hash()
    monkeypatch.setattr(RadonExtractor, "fingerprint", "radon-99")
    calls = []
    ext = runner.EXTRACTORS["radon"]
    real = ext.extract
    monkeypatch.setattr(ext, "extract", lambda batch: calls.append(len(batch)) or real(batch))
    features.extract(cands, cache_dir=tmp_path, jobs=1)
    assert calls == [1] and features.schema_hash() == schema


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    features.extract([cand(OTHER[0])], cache_dir=tmp_path / "c", use_cache=False, jobs=1)
    assert not (tmp_path / "c").exists()


def test_parallel_equals_serial(tmp_path: Path) -> None:
    cands = [cand(f"def f(x):\n    return x + {i}\n", sample=str(i)) for i in range(45)]
    serial = features.extract(cands, use_cache=False, jobs=1)
    parallel = features.extract(cands, use_cache=False, jobs=2)
    np.testing.assert_array_equal(serial.values, parallel.values)


# --------------------------------------------------------------------------- relative

SMALL = "def f(x):\n    return x * 2\n"
SPECIAL = "def f(x):\n    if x == 3:\n        return 7\n    if x == 5:\n        return 11\n    return x * 2\n"


def test_relative_features_against_peers() -> None:
    cands = [
        cand(SMALL, sample="0"),
        cand(SMALL, sample="1"),
        cand(SMALL.replace("2", "3"), sample="2"),
        cand(SPECIAL, sample="3"),
        cand(SMALL, task="T/1", sample="0"),
    ]
    table = features.extract(cands, use_cache=False, jobs=1)
    col = table.columns.index
    v = table.values
    # 4 peers in T/0; SPECIAL has the most ifs: top percentile, positive z and excess 2.
    assert v[3, col("rel.ifs_pct")] == pytest.approx(0.875)
    assert v[3, col("rel.ifs_excess")] == 2 and v[3, col("rel.ifs_z")] > 1
    assert v[0, col("rel.ifs_ratio")] == 1.0
    # Shape: rows 0-2 share a shape (constants are normalized); others exclude self.
    assert v[0, col("rel.shape_share")] == pytest.approx(2 / 3)
    assert v[3, col("rel.shape_share")] == 0
    assert v[3, col("rel.shape_is_mode")] == 0 and v[0, col("rel.shape_is_mode")] == 1
    assert v[0, col("rel.dup_share")] == pytest.approx(1 / 3)
    # SPECIAL's 7, 5 and 11 appear in no other peer; its 3 also appears in row 2.
    assert v[3, col("rel.lits_rare")] == 3 and v[3, col("rel.lits_rare_share")] == 0.75
    assert v[2, col("rel.lits_rare")] == 0
    assert 0 < v[3, col("rel.shape_top_sim")] < v[0, col("rel.shape_top_sim")] < 1
    # SPECIAL has rule findings (special-cased returns) its peers lack.
    assert v[3, col("rel.gaming_excess")] > 0 and v[0, col("rel.gaming_excess")] == 0
    # Alone in its task: no peers besides itself.
    assert math.isnan(v[4, col("rel.shape_share")])
    # Without tasks there is no reference.
    assert math.isnan(v[0, col("rel.ref_nodes_ratio")])


def test_peers_are_weak_passers_when_labeled() -> None:
    cands = [cand(SMALL, sample=str(i)) for i in range(3)] + [cand(SPECIAL, sample="3")]
    labels = [label(c, Outcome.PASS, Outcome.PASS) for c in cands[:2]]
    labels += [
        label(cands[2], Outcome.FAIL, Outcome.FAIL),
        label(cands[3], Outcome.PASS, Outcome.FAIL),
    ]
    table = features.extract(cands, labels=labels, use_cache=False, jobs=1)
    assert table.labels == (Status.CORRECT, Status.CORRECT, Status.REJECTED, Status.FALSE_POSITIVE)
    col = table.columns.index
    # Peers: rows 0, 1, 3. Row 2 (rejected) is compared with them but is not one of them.
    assert table.values[0, col("rel.dup_share")] == pytest.approx(1 / 2)
    assert table.values[2, col("rel.dup_share")] == pytest.approx(2 / 3)


def test_reference_features() -> None:
    task = Task(
        task_id="T/0",
        prompt='def f(x):\n    """Double x.\n    >>> f(3)\n    6\n    """\n',
        entry_point="f",
        canonical_solution="    return x * 2\n",
        base_input=((3,), (5,)),
        plus_input=(),
    )
    ref_like = task.prompt + task.canonical_solution
    gaming = task.prompt + "    if x == 5:\n        return 10\n    return x * 2\n"
    cands = [cand(ref_like, sample="0"), cand(gaming, sample="1")]
    table = features.extract(cands, tasks={"T/0": task}, use_cache=False, jobs=1, behavior=False)
    col = table.columns.index
    v = table.values
    assert v[0, col("rel.ref_shape_sim")] == 1.0 and v[0, col("rel.ref_nodes_ratio")] == 1.0
    assert v[1, col("rel.ref_ifs_ratio")] == 2.0  # (1 + 1) / (0 + 1)
    assert v[1, col("rel.ref_shape_sim")] < 1.0
    assert v[1, col("rel.lits_not_in_ref")] == 2  # 5 and 10
    assert v[1, col("rel.lits_in_tests")] == 1  # 5 is a weak-test input
    assert v[0, col("rel.lits_in_tests")] == 0


# --------------------------------------------------------------------------- table


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_table_round_trip(tmp_path: Path, suffix: str) -> None:
    cands = [cand(CODE, sample="0"), cand(BAD["syntax"], sample="1")]
    labels = [label(cands[0], Outcome.PASS, Outcome.FAIL)]
    table = features.extract(cands, labels=labels, use_cache=False, jobs=1)
    path = features.write_table(table, tmp_path / f"t{suffix}")
    back = features.read_table(path)
    assert back.keys == table.keys and back.columns == table.columns
    np.testing.assert_array_equal(back.values, table.values)  # NaN-aware
    assert back.labels == (Status.FALSE_POSITIVE, None)
    assert back.schema_version == features.SCHEMA_VERSION
    assert back.schema_hash == features.schema_hash() == table.schema_hash
    assert back.tool_versions["ruff"] and back.tool_versions["python"]
    assert back.tool_versions["extractor.pylint"] == PylintExtractor.version
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_read_table_rejects_other_files(tmp_path: Path) -> None:
    from auditor.errors import InputError

    bad = tmp_path / "x.parquet"
    bad.write_text("not parquet")
    with pytest.raises(InputError):
        features.read_table(bad)
    with pytest.raises(InputError):
        features.read_table(tmp_path / "missing.parquet")


@pytest.mark.parametrize(
    ("meta", "why"),
    [
        ("[]", "bad feature table metadata"),
        ('{"has_labels": true}', "bad feature table metadata"),
        ('{"schema_version": "1", "schema_hash": "x", "tool_versions": []}', "tool_versions"),
        ("{", "unreadable feature table"),
        (None, "describes another table"),  # the CSV rewritten after its sidecar
    ],
)
def test_a_bad_csv_sidecar_is_one_input_error(tmp_path: Path, meta: str | None, why: str) -> None:
    """Sidecars that are not what `write_table` wrote reached `report` as internal errors
    (review, s18); a CSV whose sidecar describes an older table was read as it."""
    from auditor.errors import InputError

    table = features.extract([cand(CODE, sample="0")], use_cache=False, jobs=1)
    path = features.write_table(table, tmp_path / "t.csv")
    if meta is None:
        path.write_text(path.read_text().replace(",0,", ",1,", 1))
    else:
        sidecar(path).write_text(meta)
    with pytest.raises(InputError, match=why):
        features.read_table(path)


def test_schema_hash_changes_with_extractor_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = features.schema_hash()
    monkeypatch.setattr(RadonExtractor, "version", "999")
    assert features.schema_hash() != before


def test_findings_merge_sources_sorted() -> None:
    c = cand(RUFF_CODE)
    found = features.findings([c], use_cache=False, jobs=1)[c.sha256]
    sources = {f.source for f in found}
    assert {"ruff", "pylint"} <= sources
    assert [(f.line, f.col) for f in found] == sorted((f.line, f.col) for f in found)


def test_findings_of_chosen_sources_only() -> None:
    c = cand(RUFF_CODE)
    found = features.findings([c], use_cache=False, jobs=1, sources=("rules",))[c.sha256]
    assert {f.source for f in found} <= {"rules"}
    with pytest.raises(ValueError, match="no findings from ast"):
        features.findings([c], use_cache=False, jobs=1, sources=("ast",))


def test_style_codes_come_from_the_cached_rules_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report`'s style codes: the rules extractor's findings, cached; a program the rule
    engine fails on gets no codes instead of sinking the report."""
    from auditor.parse import parse
    from auditor.rules import check_rules
    from auditor.study.style import finding_codes

    good, bad, rejected = (
        cand(RUFF_CODE, "T/0"),
        cand(RUFF_CODE.replace("def f", "def g"), "T/1"),
        cand("x"),
    )
    labels = [
        label(good, Outcome.PASS, Outcome.PASS),
        label(bad, Outcome.PASS, Outcome.FAIL),
        label(rejected, Outcome.FAIL, Outcome.FAIL),
    ]
    expected = frozenset(f.code for f in check_rules(parse(RUFF_CODE)))
    assert expected  # and the same for `bad` but for the crash

    def flaky(parsed, **kw):  # type: ignore[no-untyped-def]
        if "def g" in parsed.code:
            raise RuntimeError("rule crash")
        return check_rules(parsed, **kw)

    monkeypatch.setattr("auditor.rules.check_rules", flaky)
    codes = finding_codes(labels, [good, bad, rejected], jobs=1, cache_dir=tmp_path)
    assert codes == [expected, frozenset(), frozenset()]
    monkeypatch.setattr("auditor.rules.check_rules", lambda *a, **k: 1 / 0)  # cache hits only
    assert finding_codes(labels, [good, bad, rejected], jobs=1, cache_dir=tmp_path) == codes


# --------------------------------------------------------------------------- CLI


def _labeled_corpus(tmp_path: Path) -> Path:
    bench = tmp_path / "bench.jsonl"
    tasks = []
    for t in range(2):
        tasks.append(
            {
                "task_id": f"HumanEval/{t}",
                "prompt": f"def f{t}(x):\n",
                "entry_point": f"f{t}",
                "canonical_solution": "    return x * 2\n",
                "base_input": [[1], [3]],
                "plus_input": [[7]],
                "atol": 0,
            }
        )
    bench.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    samples, labels = [], []
    bodies = [
        "    return x * 2\n",
        "    return x + x\n",
        "    if x == 3:\n        return 6\n    return 2\n",
    ]
    for t in range(2):
        for s, body in enumerate(bodies):
            code = f"def f{t}(x):\n{body}"
            samples.append({"task_id": f"HumanEval/{t}", "sample_id": s, "solution": code})
            fp = s == 2
            labels.append(
                {
                    "task_id": f"HumanEval/{t}",
                    "sample_id": str(s),
                    "solution_sha256": sha256_text(code),
                    "weak_status": "pass",
                    "strong_status": "fail" if fp else "pass",
                    "status": "false_positive" if fp else "correct",
                }
            )
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    out = tmp_path / "labels"
    out.mkdir()
    (out / "labels.jsonl").write_text("".join(json.dumps(lb) + "\n" for lb in labels))
    summary = {
        "schema": "auditor.labels/1",
        "samples": {"file": str(tmp_path / "samples.jsonl"), "data_relpath": None, "sha256": None},
        "benchmark": str(bench),
    }
    (out / "summary.json").write_text(json.dumps(summary))
    return out


def test_cli_features_summary_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _labeled_corpus(tmp_path)
    table_path = tmp_path / "t.parquet"
    rc = main(
        [
            "features",
            str(out),
            "-o",
            str(table_path),
            "--summary",
            "--format",
            "json",
            "--jobs",
            "1",
            "--no-behavior",
        ]
    )
    assert rc == 0
    signals = json.loads(capsys.readouterr().out)
    assert {s["feature"] for s in signals} == set(features.columns())
    by = {s["feature"]: s for s in signals}
    assert by["ast.n_if"] == {"feature": "ast.n_if", "within_task_auc": 1.0, "tasks": 2}
    strengths = [
        abs(s["within_task_auc"] - 0.5) for s in signals if s["within_task_auc"] is not None
    ]
    assert strengths == sorted(strengths, reverse=True)
    table = features.read_table(table_path)
    assert len(table.keys) == 6 and table.labels is not None


def test_cli_summary_needs_labels(tmp_path: Path) -> None:
    _labeled_corpus(tmp_path)
    rc = main(
        [
            "features",
            str(tmp_path / "samples.jsonl"),
            "--benchmark",
            str(tmp_path / "bench.jsonl"),
            "-o",
            str(tmp_path / "t.csv"),
            "--summary",
            "--no-cache",
        ]
    )
    assert rc == 2


def _no_extraction(*args: object, **kwargs: object) -> None:
    raise AssertionError("extraction started")


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("t.txt", "t.txt: a feature table is written as .parquet or .csv"),
        ("blocker/t.csv", "t.csv: Not a directory"),
        ("dir.csv", "dir.csv: Is a directory"),
    ],
)
def test_cli_features_refuses_an_output_before_extracting(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    output: str,
    message: str,
) -> None:
    out = _labeled_corpus(tmp_path)
    (tmp_path / "blocker").write_text("")
    (tmp_path / "dir.csv").mkdir()
    monkeypatch.setattr(features, "extract", _no_extraction)
    rc = main(["features", str(out), "-o", str(tmp_path / output), "--no-cache"])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "t.txt").exists()


def test_cache_dir_under_a_regular_file_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.errors import InputError
    from auditor.features.cache import FeatureCache

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    for where in (blocker, blocker / "c"):
        with pytest.raises(InputError, match=r"cannot use cache directory .*: Not a directory"):
            FeatureCache(where)
    out = _labeled_corpus(tmp_path)
    args = ["features", str(out), "-o", str(tmp_path / "t.csv"), "--no-behavior", "--jobs", "1"]
    assert main([*args, "--cache-dir", str(blocker / "c")]) == 2
    err = capsys.readouterr().err
    assert "Not a directory" in err and "internal error" not in err


def test_cli_features_says_a_py_source_is_not_supported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "cand.py"
    src.write_text("def f(x):\n    return x\n")
    assert main(["features", str(src), "-o", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert "cand.py: a .py file is not a features SOURCE" in err and "malformed" not in err


def test_cli_features_auto_without_benchmark_ids_says_pass_benchmark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--benchmark auto` on ids of no HumanEval+/MBPP+ task: the message `label` gives, with
    its hint (it was "unknown task id 'Toy/0'")."""
    samples = Path(__file__).resolve().parents[1] / "corpora" / "toy" / "samples.jsonl"
    out = tmp_path / "t.csv"
    assert main(["features", str(samples), "-o", str(out), "--no-behavior", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert f"{samples}: no HumanEval+/MBPP+ task ids; pass --benchmark" in err, err
    assert "unknown task id" not in err and not out.exists()


@pytest.mark.integration
def test_real_candidates_batch_independent(shared_corpora: Path) -> None:
    """On real CodeGen-16B candidates: every row extracted, and pylint/ruff values of a
    candidate are the same alone as inside a batch of 80."""
    from auditor.corpus import load_benchmark, read_samples

    tasks = load_benchmark("humaneval+", shared_corpora)
    path = shared_corpora / "samples" / "humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz"
    unique: dict[str, Candidate] = {}
    for c in read_samples(path, tasks).candidates:
        unique.setdefault(c.sha256, c)
        if len(unique) == 80:
            break
    items = [Item(c.sha256, c.code, tasks[c.task_id].entry_point) for c in unique.values()]
    for name in ("pylint", "ruff", "rules"):
        batch = runner.run_batch(name, items)
        for i in (0, 37, 79):
            alone = runner.run_batch(name, [items[i]])[0]
            assert alone == batch[i], (name, i)
    table = features.extract(list(unique.values()), tasks=tasks, use_cache=False, jobs=2)
    assert table.values.shape == (80, len(features.columns()))
    assert table.column("pylint.failed").sum() <= table.column("ast.failed").sum() + 1


class _HoldTempDir:
    """An extractor that keeps a temporary directory open until it is stopped."""

    name, version, columns = "hold", "1", ("hold.x",)

    def __init__(self, parent: str, ready: object) -> None:
        self.parent, self.ready = parent, ready

    def extract(self, batch: object) -> list:
        import tempfile
        import time

        with tempfile.TemporaryDirectory(prefix="held-", dir=self.parent):
            self.ready.set()  # type: ignore[attr-defined]
            time.sleep(30)
        return []


def _worker(parent: str, ready: object, in_batch: bool) -> None:
    runner.worker_init()
    if not in_batch:  # idle, as a pool worker waiting for work
        ready.set()  # type: ignore[attr-defined]
        import time

        time.sleep(30)
    runner.EXTRACTORS["hold"] = _HoldTempDir(parent, ready)  # type: ignore[index]
    runner.pool_batch("hold", [Item("sha", "x = 1\n")])


@pytest.mark.parametrize("in_batch", [True, False])
def test_sigterm_ends_a_pool_worker_and_its_batch_cleans_up(tmp_path: Path, in_batch: bool) -> None:
    """`check` stops its features child's workers with SIGTERM: they must exit (busy or
    idle), and a busy one's temporary directories (pylint's copies of the candidates) must
    not stay behind."""
    import multiprocessing
    import os
    import signal

    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_worker, args=(str(tmp_path), ready, in_batch))
    child.start()
    assert ready.wait(10)
    assert len(list(tmp_path.iterdir())) == (1 if in_batch else 0)
    assert child.pid is not None
    os.kill(child.pid, signal.SIGTERM)
    child.join(10)
    assert child.exitcode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "payload",
    ["{oops", "[1, 2]", '{"f": {}}', '{"f": {"a": "x"}, "x": []}', "[" * 100_000],
    ids=lambda p: p[:20],
)
def test_a_damaged_cache_entry_is_computed_again(tmp_path: Path, payload: str) -> None:
    """A row whose payload does not decode is a miss (computed again and replaced), not an
    internal error that stops every run reading the cache."""
    import sqlite3

    from auditor.features.base import Extraction
    from auditor.features.cache import FeatureCache

    with FeatureCache(tmp_path) as cache:
        cache.put("ast", "1", {"k": Extraction(features={"a": 1.0}), "j": Extraction()})
    with sqlite3.connect(tmp_path / "extractions.sqlite3") as db:
        db.execute("UPDATE extraction SET payload=? WHERE key='k'", (payload,))
    with FeatureCache(tmp_path) as cache:
        assert set(cache.get("ast", "1", ["k", "j"])) == {"j"}
        cache.put("ast", "1", {"k": Extraction(features={"a": 2.0})})
        assert cache.get("ast", "1", ["k"])["k"].features == {"a": 2.0}


def test_a_cache_damaged_past_its_header_is_an_input_error(tmp_path: Path) -> None:
    """sqlite opens a file whose first page is sound; a page damaged further on fails the
    first query, which is the same one line as a damaged header (exit 2), not exit 3."""
    from auditor.errors import InputError
    from auditor.features.base import Extraction
    from auditor.features.cache import FeatureCache

    with FeatureCache(tmp_path) as cache:
        cache.put("ast", "1", {f"k{i}": Extraction(aux={"x": "y" * 500}) for i in range(40)})
    db = tmp_path / "extractions.sqlite3"
    data = bytearray(db.read_bytes())
    for i in range(4096 + 100, len(data), 7):
        data[i] = 0xAB
    db.write_bytes(bytes(data))
    with FeatureCache(tmp_path) as cache:
        with pytest.raises(InputError, match=r"cannot use cache directory .*malformed"):
            cache.get("ast", "1", ["k1"])
        with pytest.raises(InputError, match=r"cannot use cache directory .*malformed"):
            cache.put("ast", "1", {"k1": Extraction()})
