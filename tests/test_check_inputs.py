"""Hostile inputs to `auditor check`: FIFOs, devices, lying sizes, nesting that breaks the parser.

Each case runs the real CLI in a subprocess with a timeout, so a hang fails the test
instead of stalling the suite, and asserts that the good file beside the bad one is still
reported, that the bad one is one finding, and that nothing is a traceback (exit 3).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.discover import read_bounded, read_source

ROOT = Path(__file__).resolve().parents[1]
GOOD = "def total(values):\n    return sum(values)\n"
TIMEOUT = 120  # seconds; a hang is a failure, not a stuck suite


def run_check(cwd: Path, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    """(exit code, parsed JSON or None, stderr) of `auditor check --no-model --format json`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(cwd / ".cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--no-model", "--format", "json", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, doc, proc.stderr


def findings_by_path(doc: dict[str, Any] | None) -> dict[str, list[tuple[str, str]]]:
    assert doc is not None
    return {
        c["path"]: [(f["code"], f["message"]) for f in c["findings"]] for c in doc["candidates"]
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "good.py").write_text(GOOD)
    return tmp_path


def _assert_one_bad(project: Path, name: str, code: str, words: str, *named: str) -> None:
    rc, doc, err = run_check(project, *named, "src")
    assert "Traceback" not in err and rc == 1, (rc, err)
    got = findings_by_path(doc)
    assert "src/good.py" in got  # the run went on past the bad file
    assert [c for c, _ in got[f"src/{name}"]] == [code], got[f"src/{name}"]
    assert words in got[f"src/{name}"][0][1]


def test_a_fifo_is_a_finding_not_a_hang(project: Path) -> None:
    os.mkfifo(project / "src" / "pipe.py")
    _assert_one_bad(project, "pipe.py", "AUD911", "not a regular file")


def test_a_fifo_named_on_the_command_line_is_a_finding(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    rc, doc, err = run_check(project, "pipe.py", "src")
    assert rc == 1 and "Traceback" not in err, err
    got = findings_by_path(doc)
    assert [c for c, _ in got["pipe.py"]] == ["AUD911"] and "src/good.py" in got


@pytest.mark.parametrize("option", ["--config", "--model", "--baseline"])
def test_a_fifo_as_config_or_model_is_one_line_not_a_hang(project: Path, option: str) -> None:
    """Files named by an option are read through `auditor.io` too (review, s18: these hung)."""
    os.mkfifo(project / "pipe")
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "src", option, "pipe"],
        cwd=project,
        env=dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(project / ".cache")),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert (
        proc.returncode == 2 and proc.stderr == "auditor: error: pipe: a FIFO, not a regular file\n"
    )


def test_a_samples_fifo_is_one_line_and_exit_2(project: Path) -> None:
    os.mkfifo(project / "samples.jsonl")
    rc, doc, err = run_check(project, "samples.jsonl")
    assert rc == 2 and doc is None
    assert err.strip().splitlines() == [err.strip()] and "not a regular file" in err, err


def test_a_symlink_to_dev_zero_is_a_finding_not_endless_reading(project: Path) -> None:
    os.symlink("/dev/zero", project / "src" / "zero.py")  # named: links are followed
    _assert_one_bad(project, "zero.py", "AUD911", "not a regular file", "src/zero.py")


def test_a_directory_s_symlinks_are_not_followed(project: Path, tmp_path: Path) -> None:
    """A pull request's `leak.py -> ~/.env` had the file's secrets quoted in the findings
    (pylint's "Undefined variable 'hunter2'"); a link's target inside the tree is checked
    under its own path (red team s19)."""
    secret = tmp_path / "secret.env"
    secret.write_text("DB_PASSWORD=hunter2\n")
    os.symlink(secret, project / "src" / "leak.py")
    os.symlink("good.py", project / "src" / "alias.py")
    _, doc, err = run_check(project, "src")
    assert "Traceback" not in err and "hunter2" not in json.dumps(doc), err
    got = findings_by_path(doc)
    assert "src/good.py" in got and "src/leak.py" not in got and "src/alias.py" not in got


def test_the_read_is_capped_even_when_the_size_on_disk_is_zero(project: Path) -> None:
    # /proc files report st_size 0 but have content: the cap must hold while reading.
    assert os.stat("/proc/self/maps").st_size == 0
    os.symlink("/proc/self/maps", project / "src" / "maps.py")
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-file-size = 10\n")
    rc, doc, err = run_check(project, "src/maps.py", "src")
    assert rc == 1 and "Traceback" not in err, err
    got = findings_by_path(doc)
    assert [c for c, _ in got["src/maps.py"]] == ["AUD910"]


def test_read_bounded_reads_at_most_one_byte_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"x" * 100_000)
    data, size = read_bounded(path, 10)
    assert len(data) == 11 and size == 100_000
    data, size = read_bounded(path, 200_000)
    assert len(data) == 100_000 == size
    src = read_source(path, "big.py", 10)
    assert src.text is None and src.problem is not None and src.problem.code == "AUD910"
    assert "100,000 bytes" in src.problem.message


# Under UTF-7, Python reads the comment's `+AAo-` as a line break: `y = -y` runs.
_UTF7 = b"# -*- coding: utf-7 -*-\ndef add(x, y):\n    #+AAo-    y = -y\n    return sum((x, y))\n"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_UTF7, "declares coding utf-7, under which Python reads other text"),
        (b"# coding: cp1252\ns = '\xc3\xa9'\n", "declares coding cp1252"),
        (b"# coding: no-such-codec\nx = 1\n", "Python cannot read it: unknown encoding"),
        # A bytes-to-bytes codec, which Python refuses, was an internal error (exit 3).
        (b"# coding: hex\nx = 1\n", "Python cannot read it: encoding problem: hex"),
        # Red team s22: a lone \r ends Python's line 1 (not tokenize's): line 2's cookie.
        (b"\r" + _UTF7.replace(b"\n", b"\r"), "declares coding utf-7"),
        (b"\r" + _UTF7, "declares coding utf-7"),
    ],
    ids=["utf-7", "cp1252", "unknown", "bytes-codec", "cr-line-ends", "cr-first-line"],
)
def test_a_file_python_reads_otherwise_is_not_analysed(
    tmp_path: Path, data: bytes, words: str
) -> None:
    """Red team s21: `check` judged the UTF-8 text of a file declaring UTF-7, which Python
    imports as another program (a wrong `add` passed `check --tests`, failed pytest)."""
    path = tmp_path / "cand.py"
    path.write_bytes(data)
    src = read_source(path, "cand.py", 64_000)
    assert src.text is None and src.problem is not None and src.problem.code == "AUD911"
    assert words in src.problem.message


@pytest.mark.parametrize(
    "data",
    [b"# -*- coding: latin-1 -*-\nx = 'abc'\n", b"# coding: utf8\nx = '\xc3\xa9'\n",
     b"\xef\xbb\xbf# coding: utf-8\nx = 1\n"],
    ids=["ascii-as-latin-1", "utf8-spelled", "bom"],
)  # fmt: skip
def test_a_coding_cookie_that_reads_the_same_changes_nothing(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "cand.py"
    path.write_bytes(data)
    src = read_source(path, "cand.py", 64_000)
    assert src.problem is None and src.text == data.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n", "# -*- coding: latin-1 -*-\ns = 'caf\u00e9'\n"),
        (b"#!/usr/bin/env python\n# coding: cp1252\ns = '\x80'\n",
         "#!/usr/bin/env python\n# coding: cp1252\ns = '\u20ac'\n"),
        (b"# coding: euc-jp\ns = '\xa4\xa2'\n", "# coding: euc-jp\ns = '\u3042'\n"),
        # Red team s22: bytes beyond ASCII on the coding line, or on a line 1 before it.
        (b"# -*- coding: latin-1 -*- (c) Jos\xe9\ns = '\xe9'\n",
         "# -*- coding: latin-1 -*- (c) Jos\u00e9\ns = '\u00e9'\n"),
        (b"# Jos\xe9\n# coding: latin-1\ns = '\xe9'\n", "# Jos\u00e9\n# coding: latin-1\ns = '\u00e9'\n"),
    ],
    ids=["latin-1", "cp1252-line-2", "euc-jp", "on-the-coding-line", "before-the-coding-line"],
)  # fmt: skip
def test_a_file_in_the_codec_it_declares_is_read_as_python_reads_it(
    tmp_path: Path, data: bytes, text: str
) -> None:
    """QA s21: a valid latin-1 file (PEP 263 cookie) was AUD911. Not UTF-8, it has one
    reading, its codec's, in which every ASCII byte is itself: analysed as that text."""
    path = tmp_path / "cand.py"
    path.write_bytes(data)
    src = read_source(path, "cand.py", 64_000)
    assert src.problem is None and src.text == text
    # What Python reads: its own tokenizer on the bytes (`tokenize.open` is not it: it
    # splits lines at \n only and refuses bytes beyond ASCII around the coding line).
    assert ast.dump(ast.parse(data)) == ast.dump(ast.parse(text))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"x = 1\ns = 'caf\xe9'\n", "not UTF-8 text (byte 0xe9 at offset 14) and declares no other"),
        (b"\xef\xbb\xbfx = 1\ns = '\xe9'\n", "not UTF-8 text (byte 0xe9 at offset 14)"),
        (b"# coding: cp1252\ns = '\x81'\n", "nor cp1252 text as it declares (byte 0x81 at offset 22)"),
        (b"# coding: shift_jis\ns = '\x83\\'\n", "beyond ASCII read as ASCII characters"),
    ],
    ids=["no-cookie", "bom-offset", "undefined-in-cp1252", "shift_jis-backslash"],
)  # fmt: skip
def test_a_file_not_read_says_what_to_do(tmp_path: Path, data: bytes, words: str) -> None:
    """Not UTF-8 nor text of its declared codec (Python refuses it too), or a codec that
    reads a byte beyond ASCII as `\\` (shift_jis: a viewer ignoring the cookie shows a
    string closing elsewhere): AUD911, saying which byte and to save the file as UTF-8."""
    path = tmp_path / "cand.py"
    path.write_bytes(data)
    src = read_source(path, "cand.py", 64_000)
    assert src.text is None and src.problem is not None and src.problem.code == "AUD911"
    assert words in src.problem.message and "(save it as UTF-8" in src.problem.message


def test_check_analyses_a_latin_1_file_as_python_reads_it(tmp_path: Path) -> None:
    """QA s21: end to end, a latin-1 file is checked (no AUD911, exit 0), and every tool
    reads the text Python reads: pylint, which honours the cookie, is given latin-1 bytes
    (given their UTF-8 it read `cafÃ©`, a syntax error), ruff UTF-8 (it reads no other)."""
    (tmp_path / "cand.py").write_bytes(
        b"# -*- coding: latin-1 -*-\ndef caf\xe9(x):\n    return caf\xe9 == caf\xe9\n"
    )
    rc, doc, err = run_check(tmp_path, "cand.py", "--fail-on", "high")
    assert rc == 0 and doc is not None, err
    (cand,) = doc["candidates"]
    said = {f["source"]: f["message"] for f in cand["findings"] if "caf\u00e9" in f["message"]}
    assert set(said) == {"rules", "ruff", "pylint"}, cand["findings"]


# A character `str.splitlines()` ends a line at and Python does not, in a string on line 1;
# the suppression comment of line 1 is not f's, and g's is on g's line. Read by
# `splitlines()`, every line after it was the next Python line's neighbour: f's missing
# docstring was silenced by line 1's comment and g's reported.
SHIFTED = (
    "S = 'a{char}b'  # auditor: ignore[AUD105]\n"
    "def f(x):\n"
    "    return x\n"
    "def g(y):  # auditor: ignore[AUD105]\n"
    "    return y\n"
)
SHIFTING = {"U+2028": "\u2028", "U+0085": "\x85", "form-feed": "\f", "U+001E": "\x1e"}


@pytest.mark.parametrize("char", SHIFTING.values(), ids=SHIFTING.keys())
def test_suppressions_and_baseline_keys_are_on_the_lines_python_numbers(
    tmp_path: Path, char: str
) -> None:
    (tmp_path / "cand.py").write_text(SHIFTED.format(char=char), encoding="utf-8")
    _, doc, err = run_check(tmp_path, "cand.py", "--honor-suppressions")
    assert doc is not None, err
    (cand,) = doc["candidates"]
    assert [f["line"] for f in cand["findings"] if f["code"] == "AUD105"] == [2]
    run_check(tmp_path, "cand.py", "--write-baseline", "baseline.json")
    rows = json.loads((tmp_path / "baseline.json").read_text())["findings"]
    assert sorted(r["line_text"] for r in rows if r["code"] == "AUD105") == [
        "def f(x):",
        "def g(y): # auditor: ignore[AUD105]",
    ]


def test_a_latin_1_byte_0x85_ends_no_line(tmp_path: Path) -> None:
    """Latin-1's byte 0x85 reads as U+0085 (NEL), which Python keeps inside its line."""
    data = b"# coding: latin-1\n" + SHIFTED.format(char="\x85").encode("latin-1")
    (tmp_path / "cand.py").write_bytes(data)
    _, doc, err = run_check(tmp_path, "cand.py", "--honor-suppressions")
    assert doc is not None, err
    (cand,) = doc["candidates"]
    assert [f["line"] for f in cand["findings"] if f["code"] == "AUD105"] == [3]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("-" * 63_000 + "1\n", "MemoryError in CPython's parser"),
        ("(" * 63_000 + "\n", "too many nested parentheses"),
        ("1" + "+1" * 31_000 + "\n", "RecursionError while building the AST"),
    ],
    ids=["unary-minus", "parentheses", "plus-chain"],
)
def test_nesting_that_breaks_the_parser_is_a_finding_for_that_file(
    project: Path, text: str, why: str
) -> None:
    # Under the size limit, so the parser, not the size check, meets the input.
    (project / "src" / "deep.py").write_text(text)
    _assert_one_bad(project, "deep.py", "AUD901", "syntax error")


@pytest.mark.parametrize("where", ["row", "file"])
def test_code_over_the_size_limit_is_aud910_never_a_silent_pass(project: Path, where: str) -> None:
    """Padding past what the extractors analyse must not buy an empty feature row and a low
    risk: a samples row is AUD910 as a file is, and max-file-size cannot raise the limit."""
    big = "def f(x):\n    return x\n" + "# pad\n" * 20_000
    if where == "row":
        rows = [
            {"task_id": "T/0", "solution": big},
            {"task_id": "T/0", "solution": "def f(x):\n    return x\n"},
        ]
        (project / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        rc, doc, err = run_check(project, "s.jsonl")
        scored = CliRunner().invoke(cli, ["check", str(project / "s.jsonl"), "--format", "json"])
        picked = json.loads(scored.stdout)
        assert [c["risk"] is None for c in picked["candidates"]] == [True, False]
        assert [p["sample_id"] for p in picked["picks"]] == ["1"]
    else:
        (project / "src" / "big.py").write_text(big)
        rc, doc, err = run_check(project, "src/big.py")
    assert rc == 1 and "Traceback" not in err, err
    assert doc is not None and doc["candidates"][0]["findings"][0]["code"] == "AUD910"
    (project / "pyproject.toml").write_text("[tool.auditor]\nmax-file-size = 1_000_000\n")
    rc, doc, err = run_check(project, "src")
    assert rc == 2 and "max-file-size must be within [1, 64000]" in err


def test_deep_but_parseable_code_does_not_end_the_run(project: Path) -> None:
    # ast.parse accepts it; libcst and the analysers must not take the run down either.
    (project / "src" / "deep.py").write_text("x = " + "+".join(["1"] * 2500) + "\n")
    rc, doc, err = run_check(project, "src")
    assert rc in (0, 1) and "Traceback" not in err, err
    got = findings_by_path(doc)
    assert "src/good.py" in got and "src/deep.py" in got


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["check", "x.py", "--execute-budget", "abc"], "'--execute-budget': 'abc' is not a valid"),
        (["check", "x.py", "--bogus"], "No such option '--bogus'"),
        (["check"], "Missing argument 'PATHS...'"),
        (["chek"], "No such command 'chek'"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and "--help" in err and len(err.splitlines()) == 1, err


def test_an_answer_too_large_to_sanitize_is_aud910_without_reading_it(project: Path) -> None:
    """Red team s18, B9: a 6 MB row took a minute of sanitizing and passed with no AUD910
    (the limit was checked on the sanitized code). Past 4x the limit it is not read."""
    row = {"task_id": "T/0", "solution": "def f(x):\n    return x\n" + "print(1)\n" * 30_000}
    (project / "s.jsonl").write_text(json.dumps(row) + "\n")
    rc, doc, err = run_check(project, "s.jsonl")
    assert rc == 1 and doc is not None, err
    assert doc["candidates"][0]["findings"][0]["code"] == "AUD910"


def test_model_and_no_model_flags_conflict(project: Path) -> None:
    """`--no-model --model M` silently ignored M; flags that contradict are exit 2. (A
    `model` in [tool.auditor] is a default, which --no-model overrides: no conflict.)"""
    rc, doc, err = run_check(project, "src/good.py", "--model", "m.skops")
    assert rc == 2 and doc is None
    assert err.strip().splitlines() == ["auditor: error: --model and --no-model: give one of them"]
    (project / "pyproject.toml").write_text('[tool.auditor]\nmodel = "m.skops"\n')
    rc, doc, err = run_check(project, "src/good.py")
    assert rc == 0 and doc is not None, err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", ""],
        ["check", "x.py", "--exec-cache", ""],
        ["check", "x.py", "--baseline", ""],
        ["check", "x.py", "--tasks", ""],
        ["label", "s.jsonl", "-o", ""],
        ["label", "", "-o", "out"],
        ["features", "s.jsonl", "-o", ""],
        ["train", "l", "-o", ""],
        ["report", "l", "-o", ""],
    ],
    ids=lambda a: " ".join(repr(x) if x == "" else x for x in a),
)
def test_an_empty_path_is_a_usage_error(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An empty argument (`check "$DIR"` with DIR unset) meant the current directory: `check`
    checked the whole cwd (or nothing, exit 0), `label -o ""` wrote its files there and
    `--tasks ""` ran no execution at all; it is one line and exit 2 before anything runs."""
    from auditor.cli import main

    monkeypatch.chdir(tmp_path)
    for name in ("x.py", "s.jsonl", "l"):
        (tmp_path / name).write_text("")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "empty path" in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l", "s.jsonl", "x.py"]


@pytest.mark.parametrize(
    "other", [[], ["--no-execute"], ["--tests", "t.py"], ["--tests", "t.py", "--no-execute"]]
)
def test_exec_cache_without_a_tasks_run_is_a_usage_error(project: Path, other: list[str]) -> None:
    """`--exec-cache` keeps --tasks runs' results only; without them (no --tasks, or
    --no-execute) it was silently ignored, though with --tests alone it was exit 2."""
    (project / "t.py").write_text("def test():\n    assert total([1]) == 1\n")
    rc, doc, err = run_check(project, "src/good.py", "--exec-cache", "c", *other)
    assert rc == 2 and doc is None and len(err.strip().splitlines()) == 1, err
    assert "--exec-cache" in err and not (project / "c").exists()


@pytest.mark.parametrize(
    "option", ["--format=json:{bad}", "--format=sarif:{bad}", "--write-baseline={bad}"]
)
@pytest.mark.parametrize("bad", ["/proc/auditor-qa/out", "{tmp}"])
def test_an_output_that_cannot_be_written_fails_before_the_run(
    option: str,
    bad: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A --format FILE or --write-baseline FILE that cannot be written was found only when
    written, after the whole run (an hour of --tasks execution thrown away), and after the
    other outputs were written; it is one line and exit 2 before anything is checked."""
    import auditor.check
    from auditor.cli import main

    (tmp_path / "good.py").write_text(GOOD)
    monkeypatch.setattr(auditor.check, "check", lambda *a, **k: pytest.fail("the run started"))
    arg = option.format(bad=bad.format(tmp=tmp_path))
    out = tmp_path / "o.json"
    assert (
        main(["check", str(tmp_path / "good.py"), "--no-model", arg, f"--format=json:{out}"]) == 2
    )
    err = capsys.readouterr().err
    assert "cannot write" in err and len(err.splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize(
    "named",
    [
        ["src/good.py", "src/good.py"],
        ["src", "src/good.py"],
        ["src/good.py", "./src/../src/good.py"],
        ["src", "link.py"],
        ["s.jsonl", "s.jsonl"],
        ["s.jsonl", "./s.jsonl"],
    ],
    ids=lambda n: " ".join(n),
)
def test_a_file_named_twice_is_checked_once(project: Path, named: list[str]) -> None:
    """A path given twice, or a file inside a directory also given, was checked twice: a
    finding reported twice, and in a samples file every candidate its own peer (the
    consensus, and so the risks, changed by how the command line was written)."""
    (project / "link.py").symlink_to(project / "src" / "good.py")
    row = {"task_id": "T/0", "sample_id": 0, "solution": GOOD}
    (project / "s.jsonl").write_text(json.dumps(row) + "\n")
    rc, doc, err = run_check(project, *named)
    assert rc == 0 and doc is not None, err
    assert len(doc["candidates"]) == 1, [c["path"] for c in doc["candidates"]]
