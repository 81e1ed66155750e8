"""SIGTERM (a cancelled CI job) unwinds as Ctrl-C does: clean-up runs, one line, exit 143."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from auditor.errors import EXIT_INTERRUPTED, EXIT_TERMINATED

# A command that signals itself, then would sleep; its `finally` stands for the runners'
# clean-up (closing the sandbox workers) that an unhandled SIGTERM skipped.
PROGRAM = textwrap.dedent(
    """
    import os, signal, sys, time
    from auditor.cli import cli, main

    @cli.command("nap")
    def nap():
        try:
            os.kill(os.getpid(), signal.{sig})
            time.sleep(30)
        finally:
            print("cleaned up", flush=True)

    code = main(["nap"])
    print("handler restored", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)
    sys.exit(code)
    """
)


def _run(sig: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(sig=sig)], capture_output=True, text=True, timeout=60
    )


def test_sigterm_is_met_as_an_interrupt_with_its_own_code() -> None:
    got = _run("SIGTERM")
    assert got.returncode == EXIT_TERMINATED
    assert got.stderr.endswith("auditor: terminated\n") and "Traceback" not in got.stderr
    assert got.stdout == "cleaned up\nhandler restored True\n"


def test_ctrl_c_is_still_an_interrupt() -> None:
    got = _run("SIGINT")
    assert got.returncode == EXIT_INTERRUPTED and got.stderr.endswith("auditor: interrupted\n")
    assert got.stdout.startswith("cleaned up\n")
