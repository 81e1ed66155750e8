"""Errors that map to documented exit codes.

Exit codes: 0 clean, 1 findings or risk over threshold, 2 usage/config/input error,
3 internal error, 130 interrupted (128 + SIGINT, what shells report for Ctrl-C), 143
terminated (128 + SIGTERM: a cancelled CI job, met as Ctrl-C is). Every
error the user can cause is an `AuditorError` subclass with a one-line message; anything
else is a bug and exits 3.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class AuditorError(Exception):
    """Base class: a problem reported as one line, mapped to an exit code."""

    exit_code = EXIT_INTERNAL


class UsageError(AuditorError):
    """Bad flags or arguments."""

    exit_code = EXIT_USAGE


class ConfigError(AuditorError):
    """Bad `[tool.auditor]` configuration."""

    exit_code = EXIT_USAGE


class InputError(AuditorError):
    """Unreadable or malformed input file (samples, labels, benchmark)."""

    exit_code = EXIT_USAGE


class DataError(InputError):
    """The data directory is missing a file, has a wrong checksum, or cannot be fetched."""


class ModelError(InputError):
    """A model file that is corrupt, unsafe or built for another feature schema."""


class SandboxError(AuditorError):
    """The sandbox itself failed (not the candidate): an internal error."""

    exit_code = EXIT_INTERNAL
