"""The data directory: resolution, the sources registry, and `auditor data list|path|fetch`."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli, main
from auditor.corpus import datadir
from auditor.corpus.benchmarks import BENCHMARKS
from auditor.corpus.datadir import (
    Action,
    Origin,
    State,
    data_file,
    fetch,
    load_sources,
    resolve_data_dir_origin,
    status,
    update_manifest,
    user_cache_dir,
)
from auditor.errors import DataError

BENCH = "benchmarks/Toy-v1.jsonl.gz"
SAMPLES = "samples/toy_samples.jsonl.gz"
PAYLOAD = gzip.compress(b'{"task_id": "Toy/0"}\n', mtime=0)
HAND_PAYLOAD = gzip.compress(b'{"task_id": "Toy/0", "solution": ""}\n', mtime=0)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A local mirror with the data-dir layout holding both toy files."""
    root = tmp_path / "mirror"
    (root / "benchmarks").mkdir(parents=True)
    (root / "samples").mkdir()
    (root / BENCH).write_bytes(PAYLOAD)
    (root / SAMPLES).write_bytes(HAND_PAYLOAD)
    return root


@pytest.fixture
def registry(tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sources registry for the toy files, installed as the CLI's default."""
    doc = {
        "schema": datadir.SOURCES_SCHEMA,
        "files": [
            {
                "file": BENCH,
                "kind": "benchmark",
                "urls": [(mirror / BENCH).as_uri()],
                "sha256": _sha(PAYLOAD),
                "bytes": len(PAYLOAD),
                "license": "MIT",
                "source": "written for this test",
                "tasks": 1,
            },
            {
                "file": SAMPLES,
                "kind": "samples",
                "urls": [],
                "sha256": _sha(HAND_PAYLOAD),
                "bytes": len(HAND_PAYLOAD),
                "license": "MIT",
                "source": "a hand conversion",
                "model": "toy",
            },
        ],
    }
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(datadir, "SOURCES_FILE", path)
    return path


def _leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# --- resolution -----------------------------------------------------------------------------


def test_resolution_order_flag_then_env_then_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = user_cache_dir()
    assert cache.is_relative_to(tmp_path.parent)  # conftest points XDG at a temp dir
    assert resolve_data_dir_origin(None) == (cache, Origin.CACHE)
    monkeypatch.setenv(datadir.ENV_VAR, str(tmp_path / "env"))
    assert resolve_data_dir_origin(None) == (tmp_path / "env", Origin.ENV)
    assert resolve_data_dir_origin(tmp_path / "flag") == (tmp_path / "flag", Origin.FLAG)


def test_cli_path_follows_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["data", "path"])
    assert out.exit_code == 0 and out.output.strip() == str(user_cache_dir())
    monkeypatch.setenv(datadir.ENV_VAR, str(tmp_path / "env"))
    assert runner.invoke(cli, ["data", "path"]).output.strip() == str(tmp_path / "env")
    flagged = runner.invoke(cli, ["data", "path", "--data-dir", str(tmp_path / "flag")])
    assert flagged.output.strip() == str(tmp_path / "flag")


def test_data_file_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"benchmarks/x\.jsonl\.gz not found in data directory"):
        data_file("benchmarks/x.jsonl.gz", tmp_path)


# --- fetch (library) ------------------------------------------------------------------------


def test_fetch_downloads_verifies_and_records(tmp_path: Path, registry: Path) -> None:
    sources = load_sources(registry)
    dest = tmp_path / "data"
    (result,) = fetch([BENCH], data_dir=dest, sources=sources)
    assert result.action is Action.DOWNLOADED
    assert (dest / BENCH).read_bytes() == PAYLOAD
    manifest = json.loads((dest / "MANIFEST.json").read_text())
    assert manifest == [
        {
            "file": BENCH,
            "kind": "benchmark",
            "tasks": 1,
            "source": "written for this test",
            "license": "MIT",
            "note": "",
            "sha256": _sha(PAYLOAD),
            "bytes": len(PAYLOAD),
        }
    ]
    assert [s.state for s in status(dest, sources)] == [State.PRESENT, State.MISSING]
    assert _leftovers(dest) == ["MANIFEST.json", "benchmarks", BENCH]
    # A second fetch leaves the verified file alone.
    (again,) = fetch(["Toy-v1"], data_dir=dest, sources=sources)
    assert again.action is Action.ALREADY_PRESENT


def test_fetch_replaces_a_file_with_a_bad_checksum(tmp_path: Path, registry: Path) -> None:
    sources = load_sources(registry)
    (tmp_path / "data" / "benchmarks").mkdir(parents=True)
    (tmp_path / "data" / BENCH).write_bytes(b"corrupt")
    assert status(tmp_path / "data", sources)[0].state is State.BAD_CHECKSUM
    (result,) = fetch([BENCH], data_dir=tmp_path / "data", sources=sources)
    assert result.action is Action.DOWNLOADED
    assert (tmp_path / "data" / BENCH).read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_nothing_behind(
    tmp_path: Path, registry: Path, mirror: Path
) -> None:
    (mirror / BENCH).write_bytes(PAYLOAD[:-1] + b"x")
    dest = tmp_path / "data" / "nested"
    with pytest.raises(DataError, match="sha256 mismatch") as info:
        fetch([BENCH], data_dir=dest, sources=load_sources(registry))
    assert "\n" not in str(info.value)
    assert not (tmp_path / "data").exists()


def test_oversized_download_is_cut_and_rejected(
    tmp_path: Path, registry: Path, mirror: Path
) -> None:
    (mirror / BENCH).write_bytes(PAYLOAD + b"\0" * 1_000_000)
    with pytest.raises(DataError, match="sha256 mismatch"):
        fetch([BENCH], data_dir=tmp_path / "data", sources=load_sources(registry))
    assert _leftovers(tmp_path / "data") == []


def test_next_url_is_tried_after_a_failure(tmp_path: Path, registry: Path, mirror: Path) -> None:
    doc = json.loads(registry.read_text())
    doc["files"][0]["urls"] = [(mirror / "gone.gz").as_uri(), (mirror / BENCH).as_uri()]
    registry.write_text(json.dumps(doc))
    (result,) = fetch([BENCH], data_dir=tmp_path / "data", sources=load_sources(registry))
    assert result.url == (mirror / BENCH).as_uri()


def test_hand_placed_file_needs_a_mirror(tmp_path: Path, registry: Path, mirror: Path) -> None:
    sources = load_sources(registry)
    dest = tmp_path / "data"
    with pytest.raises(DataError, match=r"has no public download .* place it at .* by hand"):
        fetch([SAMPLES], data_dir=dest, sources=sources)
    results = fetch(None, data_dir=dest, sources=sources)
    assert [r.action for r in results] == [Action.DOWNLOADED, Action.PLACE_BY_HAND]
    (placed,) = fetch([SAMPLES], data_dir=dest, sources=sources, url=(mirror / SAMPLES).as_uri())
    assert placed.action is Action.DOWNLOADED
    assert [e["file"] for e in json.loads((dest / "MANIFEST.json").read_text())] == [
        BENCH,
        SAMPLES,
    ]


def test_update_manifest_keeps_unknown_entries(tmp_path: Path, registry: Path) -> None:
    (tmp_path / "MANIFEST.json").write_text(json.dumps([{"file": "other.gz", "sha256": "0"}]))
    update_manifest(tmp_path, [load_sources(registry)[BENCH]])
    files = [e["file"] for e in json.loads((tmp_path / "MANIFEST.json").read_text())]
    assert files == ["other.gz", BENCH]


def test_bad_registry_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text('{"schema": "auditor.sources/1", "files": [{"file": "x"}]}')
    with pytest.raises(DataError, match="bad sources registry"):
        load_sources(bad)
    with pytest.raises(DataError, match="not found"):
        load_sources(tmp_path / "absent.json")


# --- the CLI --------------------------------------------------------------------------------


def test_cli_fetch_then_list_and_path(tmp_path: Path, registry: Path) -> None:
    runner = CliRunner()
    dest = str(tmp_path / "data")
    fetched = runner.invoke(cli, ["data", "fetch", "--all", "--data-dir", dest])
    assert fetched.exit_code == 0, fetched.output
    assert fetched.output.splitlines() == [
        f"downloaded {BENCH} from {json.loads(registry.read_text())['files'][0]['urls'][0]}",
        f"{SAMPLES} has no public download (converted from a hand conversion); place it at "
        f"{tmp_path / 'data' / SAMPLES} by hand, or give a mirror with --url/--url-base",
    ]
    listed = runner.invoke(cli, ["data", "list", "--data-dir", dest])
    assert listed.output.splitlines()[1:] == [
        f"present  benchmark  {BENCH}",
        f"missing  samples    {SAMPLES}  (place by hand)",
        "1 present, 1 missing, 0 bad checksum",
    ]
    path = runner.invoke(cli, ["data", "path", "Toy-v1.jsonl.gz", "--data-dir", dest])
    assert path.output.strip() == str(tmp_path / "data" / BENCH)


def test_cli_url_base_mirror_and_bad_checksum_listing(
    tmp_path: Path, registry: Path, mirror: Path
) -> None:
    dest = tmp_path / "data"
    argv = ["data", "fetch", "--all", "--data-dir", str(dest), "--url-base", mirror.as_uri()]
    assert main(argv) == 0
    assert (dest / SAMPLES).read_bytes() == HAND_PAYLOAD
    (dest / SAMPLES).write_bytes(b"edited")
    listed = CliRunner().invoke(cli, ["data", "list", "--data-dir", str(dest)])
    assert f"bad checksum  samples    {SAMPLES}" in listed.output


def test_cli_offline_is_one_line_exit_2(
    tmp_path: Path, registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "data"
    argv = ["data", "fetch", BENCH, "--data-dir", str(dest), "--url", "http://127.0.0.1:9/x"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"auditor: error: cannot fetch {BENCH}: http://127.0.0.1:9/x: ")
    assert "Traceback" not in err
    assert _leftovers(tmp_path / "data") == []


def test_cli_checksum_mismatch_is_one_line_exit_2(
    tmp_path: Path, registry: Path, mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mirror / BENCH).write_bytes(b"not the benchmark")
    assert main(["data", "fetch", BENCH, "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sha256 mismatch" in err
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "fetch"], "name FILE(s) to fetch, or pass --all"),
        (["data", "fetch", BENCH, "--all"], "name FILE(s) to fetch, or pass --all"),
        (["data", "fetch", "nope"], "unknown corpus file 'nope'"),
        (["data", "fetch", "--all", "--url", "file:///x"], "--url needs exactly one FILE"),
        (["data", "path", "Toy-v1"], "not found in data directory"),
        (["data", "fetch", SAMPLES], "has no public download"),
    ],
)
def test_cli_usage_and_data_errors_exit_2(
    registry: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


# --- the committed registry ---------------------------------------------------------------


def test_committed_registry_covers_the_benchmarks() -> None:
    sources = load_sources()
    assert {spec.relpath for spec in BENCHMARKS.values()} <= set(sources)
    for src in sources.values():
        assert len(src.sha256) == 64 and int(src.sha256, 16) >= 0
        assert src.license and src.source
        if src.kind == "benchmark":
            assert src.urls and all(u.startswith("https://") for u in src.urls)
        else:
            assert src.urls == ()  # conversions: placed by hand


@pytest.mark.integration
def test_committed_registry_matches_shared_manifest_and_fetches_from_it(
    shared_corpora: Path, tmp_path: Path
) -> None:
    manifest = json.loads((shared_corpora / "MANIFEST.json").read_text())
    sources = load_sources()
    assert {e["file"]: e["sha256"] for e in manifest} == {
        s.file: s.sha256 for s in sources.values()
    }
    assert all(s.state is State.PRESENT for s in status(shared_corpora, sources))
    dest = tmp_path / "data"
    argv = [
        "data",
        "fetch",
        "--all",
        "--data-dir",
        str(dest),
        "--url-base",
        shared_corpora.as_uri(),
    ]
    assert main(argv) == 0
    assert json.loads((dest / "MANIFEST.json").read_text()) == manifest


def test_unwritable_data_dir_is_one_line_exit_2(
    tmp_path: Path, registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["data", "fetch", BENCH, "--data-dir", str(blocker / "data")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("auditor: error: cannot create ")
