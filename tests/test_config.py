"""`[tool.auditor]` loading: discovery upward, typing, unknown keys, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import Config, find_pyproject, from_table, load_config, parse_severity
from auditor.errors import ConfigError
from auditor.types import Severity


def _pyproject(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(body)
    return path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg == Config() and cfg.fail_on_risk == 0.5 and cfg.fail_on is Severity.HIGH


def test_found_upward_and_paths_resolved(tmp_path: Path) -> None:
    _pyproject(
        tmp_path,
        '[tool.auditor]\nfail-on-risk = 0.8\nfail-on = "medium"\nmodel = "m/model.skops"\n'
        'ignore = ["AUD105"]\nhonor-suppressions = true\n',
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    cfg = load_config(sub)
    assert cfg.fail_on_risk == 0.8
    assert cfg.fail_on is Severity.MEDIUM
    assert cfg.model == tmp_path / "m" / "model.skops"
    assert cfg.ignore == ("AUD105",) and cfg.honor_suppressions
    assert cfg.source == tmp_path / "pyproject.toml"


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[tool.auditor]\nfail-on-risk = 0.9\n")
    inner = tmp_path / "pkg"
    inner.mkdir()
    _pyproject(inner, '[project]\nname = "x"\n')
    assert find_pyproject(inner) == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("colour = 1", "unknown key 'colour'"),
        ('fail-on-risk = "high"', "expected a number"),
        ("fail-on-risk = 1.5", "within"),
        ('fail-on = "severe"', "unknown severity"),
        ('ignore = "AUD101"', "list of strings"),
        ("exit-zero = 1", "true or false"),
        ("max-file-size = 0", "within"),
        ("max-file-size = 64_001", "within"),
        ('rules-url = "rules/"', "http"),
        ('model = ""', "model: an empty path"),  # was the config's directory
        ('baseline = ""', "baseline: an empty path"),
        ("x = " + "[" * 5000 + "]" * 5000, "invalid TOML: nested too deeply"),  # was exit 3
    ],
    ids=lambda x: x[:30],
)
def test_bad_values_are_config_errors(tmp_path: Path, body: str, message: str) -> None:
    _pyproject(tmp_path, f"[tool.auditor]\n{body}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_invalid_toml(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[tool.auditor\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(pyproject=tmp_path / "pyproject.toml")


def test_non_utf8_toml_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"[tool.auditor]\njobs = 2 # \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML: not UTF-8"):
        load_config(pyproject=path)  # --config
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path)  # found next to the checked files
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path / "a.py"), "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "internal error" not in err and len(err.splitlines()) == 1


def test_tool_that_is_not_a_table_is_a_config_error(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'tool = "auditor"\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml: `tool` must be a table"):
        load_config(tmp_path)


def test_overrides_win_and_none_means_unset() -> None:
    base = from_table({"fail-on-risk": 0.7, "exit-zero": True}, Path("."))
    cfg = base.with_overrides(fail_on_risk=0.2, exit_zero=None)
    assert cfg.fail_on_risk == 0.2 and cfg.exit_zero is True
    with pytest.raises(ConfigError):
        base.with_overrides(fail_on_risk=2.0)
    with pytest.raises(ConfigError, match="unknown setting"):
        base.with_overrides(colour="red")


def test_parse_severity() -> None:
    assert parse_severity("HIGH") is Severity.HIGH
    assert parse_severity("none") is None


def test_rules_url_gets_a_trailing_slash_and_defaults_to_none(tmp_path: Path) -> None:
    _pyproject(tmp_path, '[tool.auditor]\nrules-url = "https://x.test/rules"\n')
    assert load_config(tmp_path).rules_url == "https://x.test/rules/"
    assert from_table({}, Path(".")).rules_url == ""  # no invented link by default
