"""Read an events file as blocks of raw lines: flat memory on files of any size.

The file is read in fixed-size byte blocks and split on newlines here (not by a CSV library),
so every line keeps its raw bytes and its line number for the dead-letter topic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingestion.errors import InputFileError
from ingestion.validation import looks_like_header, parse_header
from shopstream.contracts import CSV_FIELDS

DEFAULT_BLOCK_BYTES = 2 << 20
SOURCE_ID_HEX = 16


@dataclass(frozen=True)
class Block:
    lines: list[bytes]
    first_line_number: int
    first_seq: int
    nbytes: int


def _unreadable(path: Path, e: OSError) -> InputFileError:
    msg = f"cannot read events file {path}: {e}. Check the path (--file) and its permissions."
    return InputFileError(msg)


def source_id(path: Path) -> str:
    """An id derived from the file's bytes (sha256, truncated): the same file, the same id."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(8 << 20):
                digest.update(chunk)
    except OSError as e:
        raise _unreadable(path, e) from e
    return digest.hexdigest()[:SOURCE_ID_HEX]


def read_header(path: Path) -> tuple[tuple[str, ...], bool]:
    """(column order, whether line 1 is a header). Files without a header use the default order."""
    try:
        with path.open("rb") as fh:
            first = fh.readline().rstrip(b"\r\n")
    except OSError as e:
        raise _unreadable(path, e) from e
    if looks_like_header(first):
        return parse_header(first), True
    return CSV_FIELDS, False


def iter_blocks(
    path: Path,
    *,
    has_header: bool,
    limit: int | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> Iterator[Block]:
    """Blocks of data lines in file order; ``seq`` counts data rows from 1, header excluded.

    ``limit`` stops after that many data rows (valid or not).
    """
    line_number, seq = 1, 1
    remaining = limit if limit is not None else -1
    with path.open("rb") as fh:
        if has_header:
            header = fh.readline()
            line_number = 2
            yield Block([], line_number, seq, len(header))
        carry = b""
        while remaining != 0:
            chunk = fh.read(block_bytes)
            if not chunk:
                break
            data = carry + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            lines, remaining = _take(data[:cut].split(b"\n"), remaining)
            yield Block(lines, line_number, seq, len(chunk))
            line_number += len(lines)
            seq += len(lines)
        if carry and remaining != 0:
            lines, _ = _take([carry], remaining)
            yield Block(lines, line_number, seq, 0)


def _take(lines: list[bytes], remaining: int) -> tuple[list[bytes], int]:
    if remaining < 0:
        return lines, remaining
    taken = lines[:remaining]
    return taken, remaining - len(taken)
