"""`[tool.auditor]` in pyproject.toml plus command-line overrides, as one frozen `Config`.

The pyproject.toml used is the first one, walking up from the start directory, that has
a `[tool.auditor]` table. Keys are kebab-case; an unknown key or a wrong type is a
`ConfigError` (exit 2). Paths in the file are relative to the file's directory.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.io import read_bytes
from auditor.types import Severity

# The one size limit on a candidate's source, in characters; a file on disk is compared in
# bytes (UTF-8: no more characters than bytes). `check` reports a larger file as AUD910
# without reading it all, `parse` a larger candidate as AUD903, and the feature extractors
# mark it failed. libcst's parser is superlinear in size (~4 s for 100 kB, ~17 s for
# 300 kB) while real candidates are a few kB (the largest in the shared corpora: 3.7 kB).
MAX_SOURCE_CHARS = 64_000
_MAX_TOML_BYTES = 4 << 20  # a pyproject.toml (read through io: a FIFO must not hang)


@dataclass(frozen=True)
class Config:
    """Settings of `auditor check` (field names are the kebab-case keys with `_`)."""

    fail_on_risk: float = 0.5
    fail_on: Severity | None = Severity.HIGH  # None: findings never fail the run
    exit_zero: bool = False
    fail_on_unverified: bool = False  # executed but not fully judged fails the run
    honor_suppressions: bool = False
    model: Path | None = None
    baseline: Path | None = None
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_file_size: int = MAX_SOURCE_CHARS  # bytes, at most that; larger files get AUD910
    jobs: int = 2
    rules_url: str = ""  # base URL of the rules/ pages, for SARIF helpUri; "" = no links
    source: Path | None = None  # the pyproject.toml read, if any

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given (already typed) fields replaced; None means "not given"."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return _validate(replace(self, **given))


def parse_severity(value: str) -> Severity | None:
    """A severity name, or "none" to never fail on findings."""
    text = str(value).strip().lower()
    if text == "none":
        return None
    try:
        return Severity(text)
    except ValueError:
        names = ", ".join([*(s.value for s in Severity), "none"])
        raise ConfigError(f"fail-on: unknown severity {value!r} (known: {names})") from None


def _str_tuple(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: expected a list of strings")
    return tuple(value)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _number(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if kind is int and not isinstance(value, int):
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    return kind(value)


def from_table(table: Mapping[str, Any], base: Path) -> Config:
    """Build a Config from a `[tool.auditor]` table; relative paths resolve against `base`."""
    cfg: dict[str, Any] = {}
    for key, value in table.items():
        match key:
            case "fail-on-risk":
                cfg["fail_on_risk"] = _number(key, value, float)
            case "fail-on":
                cfg["fail_on"] = parse_severity(value)
            case "exit-zero" | "honor-suppressions" | "fail-on-unverified":
                cfg[key.replace("-", "_")] = _bool(key, value)
            case "model" | "baseline":
                if not isinstance(value, str):
                    raise ConfigError(f"{key}: expected a path string")
                if not value:  # `base / ""` is the config's directory
                    raise ConfigError(f"{key}: an empty path")
                cfg[key] = base / value
            case "exclude" | "ignore":
                cfg[key] = _str_tuple(key, value)
            case "max-file-size" | "jobs":
                cfg[key.replace("-", "_")] = _number(key, value, int)
            case "rules-url":
                if not isinstance(value, str):
                    raise ConfigError(f"{key}: expected a URL string")
                cfg["rules_url"] = value
            case _:
                raise ConfigError(f"[tool.auditor]: unknown key {key!r}")
    return _validate(Config(**cfg))


def _validate(cfg: Config) -> Config:
    if not 0.0 <= cfg.fail_on_risk <= 1.0:
        raise ConfigError(f"fail-on-risk must be within [0, 1], got {cfg.fail_on_risk}")
    if not 0 < cfg.max_file_size <= MAX_SOURCE_CHARS:  # past it nothing would be analysed
        raise ConfigError(
            f"max-file-size must be within [1, {MAX_SOURCE_CHARS}], got {cfg.max_file_size}"
        )
    if cfg.jobs < 1:
        raise ConfigError("jobs must be at least 1")
    if cfg.rules_url:
        if not cfg.rules_url.startswith(("https://", "http://", "file://")):
            raise ConfigError(f"rules-url must be an http(s) or file URL, got {cfg.rules_url!r}")
        if not cfg.rules_url.endswith("/"):
            cfg = replace(cfg, rules_url=cfg.rules_url + "/")
    return cfg


def find_pyproject(start: Path) -> Path | None:
    """The first pyproject.toml with a [tool.auditor] table from `start` upward."""
    start = start.absolute()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _auditor_table(candidate) is not None:
            return candidate
    return None


def _auditor_table(path: Path) -> Any:
    """The file's `[tool.auditor]` value, None when it has none."""
    tool = _read_toml(path).get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    return tool.get("auditor")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_bytes(path, _MAX_TOML_BYTES).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8; tomllib decodes before parsing
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None


def load_config(start: Path | None = None, *, pyproject: Path | None = None) -> Config:
    """The Config from `pyproject` (or the one found upward from `start`), else defaults."""
    path = pyproject if pyproject is not None else find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    table = _auditor_table(path)
    if table is None:
        return replace(Config(), source=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.auditor] must be a table")
    return replace(from_table(table, path.parent), source=path)
