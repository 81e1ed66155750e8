"""File I/O shared by every module: atomic writes, file hashing, gzip-or-plain text reading,
and Python source as Python reads it (its text, its lines).

Atomic writes: readers never see half a file, and a failed write leaves none.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import io
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from auditor.errors import AuditorError, InputError


def make_dirs(path: str | os.PathLike[str]) -> None:
    """`mkdir -p path`. A regular file in the way raises NotADirectoryError, as one further
    up does, where mkdir would say "File exists" (which reads as if all were well)."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None


def _temp_sibling(path: Path, error: type[AuditorError]) -> Path:
    """A new empty file beside `path` (its directory made); an OSError becomes `error`."""
    try:
        make_dirs(path.parent)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(name, 0o644)  # mkstemp creates 0600; outputs are ordinary shareable files
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
    return Path(name)


def check_writable(path: str | os.PathLike[str], *, error: type[AuditorError] = InputError) -> None:
    """Raise `error` now if `path` could not be written later: a command calls this before
    long work, so that a bad output path does not throw the work away. Makes the missing
    directories, as the write would."""
    path = Path(path)
    if path.is_dir():
        raise error(f"cannot write {path}: {os.strerror(errno.EISDIR)}")
    _temp_sibling(path, error).unlink()


@contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, error: type[AuditorError] = InputError
) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; it replaces `path` only on success.

    An OSError while creating or moving the file becomes `error` with a one-line message.
    """
    path = Path(path)
    tmp = _temp_sibling(path, error)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    fsync: bool = False,
    error: type[AuditorError] = InputError,
) -> None:
    """Write text (UTF-8, newlines as given) or bytes to `path` atomically."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, error=error) as tmp, tmp.open("wb") as fh:
        fh.write(raw)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())


GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def require_regular(path: str | os.PathLike[str]) -> None:
    """InputError unless `path` exists as something other than a regular file (after links).

    A missing path passes: the caller reports it in its own words.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: {_kind(mode)}, not a regular file")


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open a regular file for binary reading; a FIFO, device or directory is an InputError.

    The open is non-blocking so that a FIFO without a writer cannot hang it; the kind is
    checked on the open descriptor, so a file swapped after a check cannot slip through.
    Other failures (missing, unreadable) raise OSError, for the caller to word.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; more than `max_bytes` is an InputError.

    The cap holds while reading (a file growing after `stat` cannot exceed it).
    """
    with open_regular(path) as fh:
        data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"{path}: larger than {max_bytes} bytes")
    return data


def read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a regular file, newlines translated as `Path.read_text` does and a
    leading BOM skipped (as Python skips one in a source file, and `open_text` does)."""
    with io.TextIOWrapper(open_regular(path), encoding="utf-8-sig") as fh:
        return fh.read()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a regular file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """True for a `.gz` name or gzip magic bytes (so a gzipped `.jsonl` still reads)."""
    if Path(path).suffix == ".gz":
        return True
    try:
        with open_regular(path) as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


class _GzipText(io.TextIOWrapper):
    """UTF-8 text of a gzip stream (a leading BOM skipped), closing the file under it."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self._raw = raw
        super().__init__(gzip.GzipFile(fileobj=raw, mode="rb"), encoding="utf-8-sig")

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """A UTF-8 text stream of a regular file, decompressed when it is gzip (see `is_gzip`).
    A leading BOM is skipped, as Python skips one in a source file.

    Not a regular file: InputError. Other errors are the caller's to word: OSError, EOFError,
    zlib.error, UnicodeDecodeError.
    """
    raw = open_regular(path)
    try:
        if Path(path).suffix == ".gz" or raw.peek(2)[:2] == GZIP_MAGIC:
            return _GzipText(raw)
        return io.TextIOWrapper(raw, encoding="utf-8-sig")
    except BaseException:
        raw.close()
        raise


class UnreadableSource(ValueError):
    """Python source `check` does not analyse; the message (one line) says why."""


# What to do with source that is not read (AUD911's page says it too): a coding line left
# naming another codec would make the UTF-8 text read otherwise.
RESAVE = "save it as UTF-8, with no coding line naming another codec"
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f]+")
_NON_ASCII_BYTES = re.compile(b"[^\x00-\x7f]+")


def _declared(data: bytes) -> str:
    """The codec Python decodes source `data` with (PEP 263: a BOM or coding cookie, else
    UTF-8), by its normal name; a cookie Python refuses is UnreadableSource.

    Python's tokenizer ends a line at a lone `\\r` too, before it looks for the cookie, where
    `tokenize.detect_encoding` splits at `\\n` only: `\\r# coding: utf-7` is line 2's cookie
    to Python, a blank first line and no cookie to `tokenize` (red team s22). And Python
    looks for it in the bytes, where `tokenize` first decodes the line as UTF-8: a latin-1
    file whose coding line says `(c) Jos\xe9` was refused; a byte beyond ASCII is no part
    of a cookie either way, so it is looked at as `?`."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    bom = codecs.BOM_UTF8 if lines.startswith(codecs.BOM_UTF8) else b""
    lines = bom + _NON_ASCII_BYTES.sub(lambda m: b"?" * len(m.group()), lines[len(bom) :])
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(lines).readline)
    except SyntaxError as exc:  # an unknown codec, a cookie against the BOM, no cookie
        raise UnreadableSource(f"Python cannot read it: {exc.msg}") from None
    name = codecs.lookup(declared).name
    try:
        b"#".decode(name)  # not b"": bytes.decode returns "" before looking at the codec
    except LookupError:  # bytes to bytes (hex, zlib, rot13): Python refuses it too
        raise UnreadableSource(f"Python cannot read it: encoding problem: {name}") from None
    except UnicodeError:  # a text codec that reads "#" otherwise (utf-16): judged later
        pass
    return name


def python_source_text(data: bytes) -> str:
    """The text Python reads from the source bytes `data`: the one text every consumer of a
    `check` candidate (ruff, pylint, radon, libcst, the sandbox) is given.

    UTF-8, as Python reads it by default, and what editors and reviewers show. A file that
    is not UTF-8 is read with the codec its coding cookie declares (`# -*- coding: latin-1
    -*-`), as Python reads it (`tokenize.open`), when that reading is unambiguous: every
    ASCII byte reads as itself and no other byte as ASCII (latin-1, cp1252 and the other
    8-bit codecs), so what any viewer shows of the code's structure is what runs; only the
    non-ASCII characters depend on the codec. Not analysed (UnreadableSource):
    - a UTF-8 file whose cookie makes Python read other text (red team s21: under
      `# coding: utf-7` a comment's `#+AAo-` is a line break, so code the checker read as a
      comment ran; a wrong function passed `check --tests` and failed pytest). A cookie
      under which the bytes read the same (ASCII declared as latin-1) changes nothing;
    - a file that is neither UTF-8 nor text of the codec it declares (Python refuses it);
    - a codec that reads bytes beyond ASCII as ASCII characters, or the reverse (shift_jis's
      second bytes include `\\`): a viewer not honouring the cookie shows other code."""
    try:
        text = data.decode("utf-8-sig")  # a BOM, as Python itself allows
    except UnicodeDecodeError as exc:
        return _declared_text(data, exc)
    declared = _declared(data)
    if declared in ("utf-8", "utf-8-sig"):
        return text
    try:
        same = data.decode(declared) == text
    except UnicodeError:  # not text of that codec (punycode fails otherwise than bytes do)
        same = False
    if not same:
        raise UnreadableSource(
            f"declares coding {declared}, under which Python reads other text than UTF-8"
        )
    return text


def _declared_text(data: bytes, utf8: UnicodeDecodeError) -> str:
    """The text of source `data` that is not UTF-8, read with its declared codec."""
    start = utf8.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
    where = f"not UTF-8 text (byte 0x{data[start]:02x} at offset {start})"
    try:
        declared = _declared(data)
    except UnreadableSource as exc:
        raise UnreadableSource(f"{where}; {exc}") from None
    if declared in ("utf-8", "utf-8-sig"):
        raise UnreadableSource(f"{where} and declares no other coding (PEP 263)")
    try:
        text = data.decode(declared)
    except UnicodeDecodeError as exc:
        raise UnreadableSource(
            f"{where}, nor {declared} text as it declares "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    except UnicodeError as exc:  # a codec that cannot decode source (utf-16: odd length)
        raise UnreadableSource(f"{where}, nor {declared} text as it declares ({exc})") from None
    if _NON_ASCII_TEXT.sub("\x80", text) != _NON_ASCII_BYTES.sub(b"\x80", data).decode("latin-1"):
        raise UnreadableSource(
            f"declares coding {declared}, under which bytes beyond ASCII read as ASCII "
            f"characters or the reverse"
        )
    return text


# Where Python ends a source line: its tokenizer (hence ast line numbers), ruff, pylint,
# editors and markdown-it break at \r\n, \r and \n only. `str.splitlines()` also breaks at
# \v, \f, \x1c-\x1e, U+0085 (latin-1's byte 0x85), U+2028 and U+2029, which are characters
# of a line to Python: a finding's line would not be the line its suppression comment or
# baseline key is read from.
NEWLINE = re.compile(r"\r\n|\r|\n")


def source_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of source `text` as Python numbers them (line n is item n - 1): what
    `str.splitlines(keepends)` gives, but broken at `NEWLINE` only. As there, a line end at
    the end of `text` starts no further line."""
    if keepends:
        starts = [0, *(m.end() for m in NEWLINE.finditer(text))]
        return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True) if a < b]
    lines = NEWLINE.split(text)
    if not lines[-1]:
        lines.pop()
    return lines


def python_source_bytes(text: str) -> bytes | None:
    """Bytes from which Python reads `text` as source (see `python_source_text`): its UTF-8,
    or under a coding cookie naming another codec, `text` in that codec. None when that
    codec cannot write `text` (a program given as a string, under a cookie it contradicts).

    For a tool that reads a file and honours the cookie (pylint): the UTF-8 of a text
    declaring latin-1 is other text to it (`é` reads as `Ã©`), where ruff reads UTF-8 only."""
    data = text.encode("utf-8")
    try:
        declared = _declared(data)
    except UnreadableSource:
        return None
    if declared in ("utf-8", "utf-8-sig"):
        return data
    try:
        data = text.encode(declared)
        same = data.decode(declared) == text and _declared(data) == declared
    except (UnicodeError, UnreadableSource):
        return None
    return data if same else None
