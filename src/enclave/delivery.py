"""A delivery's bytes, read in chunks that end at line ends, and its lines.

Ingest reads a delivery several times (``enclave.ingest``) and never holds it whole:
the encoding is checked chunk by chunk with the same faults, in the same order, as
a whole-file decode would raise them, and lines are cut from each chunk.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from enclave.errors import InputError

LATIN = {"cp1252", "latin-1", "iso8859-1", "iso8859-15"}
#: bytes read from the file at a time (a read is extended to the next line end)
CHUNK_BYTES = 32 * 2**20


class Delivery:
    """A delivery's bytes as chunks that each end at a line end, readable many times."""

    def __init__(self, blocks: Callable[[], Iterable[bytes]]) -> None:
        self._blocks = blocks

    @classmethod
    def from_bytes(cls, data: bytes, chunk_bytes: int = CHUNK_BYTES) -> Delivery:
        view = memoryview(data)
        return cls(
            lambda: (bytes(view[i : i + chunk_bytes]) for i in range(0, len(data), chunk_bytes))
        )

    @classmethod
    def from_file(cls, agency: str, path: Path, chunk_bytes: int = CHUNK_BYTES) -> Delivery:
        """The file's chunks, or an :class:`InputError` saying why they cannot be had."""
        if not path.exists():
            others = len(list(path.parent.iterdir())) if path.parent.is_dir() else 0
            detail = f"{others} other file(s) in the directory"
            raise InputError(agency, path, "file:missing", detail)

        def blocks() -> Iterator[bytes]:
            try:
                with path.open("rb") as handle:
                    while block := handle.read(chunk_bytes):
                        yield block
            except OSError as exc:
                raise InputError(agency, path, "file:unreadable", type(exc).__name__) from None

        # fail now, as a whole-file read would, rather than at the first pass
        next(iter(blocks()), None)
        return cls(blocks)

    def chunks(self) -> Iterator[bytes]:
        """The bytes cut after the last line end of each block (a line is never split)."""
        tail = b""
        for block in self._blocks():
            cut = block.rfind(b"\n") + 1
            if not cut:  # no line end in the block: it all carries over
                tail += block
                continue
            # the chunk's bytes are copied once (a 32 MiB block, read three times or more)
            yield b"".join((tail, memoryview(block)[:cut])) if tail else block[:cut]
            tail = block[cut:]
        if tail:
            yield tail


def check_encoding(chunks: Iterable[bytes], encoding: str, fault: Any) -> str:
    """The codec name, after checking the bytes as :func:`decode` checks a whole file.

    Each check looks at every chunk; the fault raised is the one a whole-file decode
    would raise first.
    """
    name = codecs.lookup(encoding).name
    content = binary = non_ascii = bom = False
    utf8, bad_offset, offset, first = True, None, 0, True
    for chunk in chunks:
        if first:
            first = False
            binary = chunk[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            bom = chunk.startswith(codecs.BOM_UTF8)
        content = content or (bool(chunk) and not chunk.isspace())  # strip() copied it
        binary = binary or b"\x00" in chunk
        if bom and name == "utf-8" and offset == 0:
            chunk = chunk[len(codecs.BOM_UTF8) :]
        if not chunk.isascii():
            non_ascii = True
            # chunks end at a line end, so UTF-8 validity is decided chunk by chunk
            utf8 = utf8 and (name not in LATIN or _is_utf8(chunk))
        if bad_offset is None:
            try:
                chunk.decode(name)
            except UnicodeDecodeError as exc:
                bad_offset = offset + exc.start
        offset += len(chunk)
    if not content:
        raise fault("empty:file", "no content")
    if binary:
        raise fault("encoding:binary", "NUL bytes or a UTF-16 byte-order mark")
    if bom and name != "utf-8":
        raise fault("encoding:utf8", f"UTF-8 byte-order mark in a {name} delivery")
    if name in LATIN and non_ascii and utf8:
        raise fault("encoding:utf8", f"UTF-8 multi-byte characters in a {name} delivery")
    if bad_offset is not None:
        raise fault("encoding:undecodable", f"byte not valid {name} at offset {bad_offset}")
    return name


def decode(data: bytes, encoding: str, fault: Any) -> str:
    """Decode a whole delivery strictly in the contract's encoding (see :func:`check_encoding`).

    A UTF-8 byte-order mark is dropped from a UTF-8 delivery. Any cp1252/latin-1 byte
    string decodes, so a delivery in such an encoding that is valid UTF-8 with non-ASCII
    characters (or carries a UTF-8 BOM) is refused as UTF-8 sent by mistake.
    """
    name = check_encoding([data], encoding, fault)
    if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data.decode(name)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def chunk_lines(chunk: bytes, encoding: str, first: bool) -> pl.Series:
    """The lines of one chunk (CRLF or LF); a chunk's final line end starts no line.

    The chunk's encoding has been checked (:func:`check_encoding`), so UTF-8 and ASCII
    bytes go to polars as they are, which is cheaper than a Python string.
    """
    if first and encoding == "utf-8" and chunk.startswith(codecs.BOM_UTF8):
        chunk = chunk[len(codecs.BOM_UTF8) :]
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n")
    chunk = chunk.removesuffix(b"\n")
    if encoding not in ("utf-8", "ascii"):
        chunk = chunk.decode(encoding).encode("utf-8")
    lines = pl.Series("line", [chunk], dtype=pl.Binary).cast(pl.String)
    return lines.str.split("\n").explode()


def split_lines(text: str, fault: Any) -> tuple[pl.Series, int]:
    """Lines of the text (CRLF or LF), without trailing blank lines, and how many those were."""
    text = text.replace("\r\n", "\n")
    # the last line's terminator ends a line; it does not start a blank one
    text = text.removesuffix("\n")
    lines = pl.Series("line", [text]).str.split("\n").explode()
    content = lines.str.strip_chars().str.len_bytes() > 0
    if not content.any():
        raise fault("empty:file", "only blank lines")
    last = content.arg_true().max()
    kept = lines.slice(0, last + 1)
    return kept, lines.len() - kept.len()
