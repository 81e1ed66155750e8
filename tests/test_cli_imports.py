"""Start-up cost of the CLI: heavy libraries are imported by the commands that use them.

Each case runs in a fresh interpreter (this test process has imported everything already).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sklearn", "scipy", "matplotlib", "pylint", "astroid", "libcst", "skops")


def loaded_after(code: str) -> list[str]:
    """The HEAVY top-level packages in sys.modules after running `code` in a fresh process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_import_cli_is_light() -> None:
    assert loaded_after("import auditor.cli") == []


def test_help_lists_every_command_without_heavy_imports() -> None:
    # --help imports every command module: none may import a heavy library at module level.
    code = (
        "import io, contextlib\n"
        "from auditor.cli import main, command_modules\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    assert main(['--help']) == 0\n"
        "assert all(name in out.getvalue() for name in command_modules()), out.getvalue()\n"
    )
    assert loaded_after(code) == []


@pytest.mark.parametrize("argv", [["check", "--help"], ["rules", "--help"], ["curves", "--help"]])
def test_command_help_is_light(argv: list[str]) -> None:
    code = (
        "import io, contextlib\nfrom auditor.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main({argv!r}) == 0\n"
    )
    assert loaded_after(code) == []


def test_probe_sees_heavy_imports() -> None:
    # The probe itself works: a command that needs libcst does import it.
    code = (
        "import io, contextlib\nfrom auditor.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['rules', 'list']) == 0\n"
    )
    assert "libcst" in loaded_after(code)


def test_running_one_command_imports_only_its_module() -> None:
    code = (
        "import io, contextlib, sys\nfrom auditor.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['rules', 'list']) == 0\n"
        "cmds = sorted(m for m in sys.modules if m.startswith('auditor.cli.'))\n"
        "assert cmds == ['auditor.cli.rules'], cmds\n"
    )
    loaded_after(code)  # raises CalledProcessError when the assertion fails
