"""Validation of events-file lines: a vectorised fast path and an authoritative slow path.

`parse_lines` takes raw lines (bytes, no trailing newline). Every line goes through one RE2
regular expression over the whole block (pyarrow.compute.extract_regex); lines it accepts are
canonical (``digits[.0],digits[.0],event,digits[.0],[digits[.0]]``) and are converted
column-wise. Only the lines it does not accept are parsed one by one by `check_line`, which is
the definition of "valid": it also accepts what the regex is too strict for (quoted fields,
blanks around values) and otherwise names the reason. The fast path never accepts a line the
slow path would reject (tests/unit/ingestion/test_validation.py checks that with hypothesis).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingestion.errors import InputFileError
from shopstream.contracts import (
    CSV_FIELDS,
    EVENT,
    EVENT_TYPES,
    ID_FIELDS,
    ITEMID,
    SEQ,
    TIMESTAMP,
    TRANSACTION,
    TRANSACTIONID,
    VISITORID,
)

if TYPE_CHECKING:
    import pyarrow as pa

INT64_MAX = 2**63 - 1
_INTEGRAL = re.compile(r"^([+-]?)(\d+)(?:\.0*)?$")
_FAST_DIGITS = r"(\d{1,18})(?:\.0+)?"

ValidRow = tuple[int, int, str, int, int | None]


@dataclass(frozen=True)
class Reject:
    """One line that is not a valid event: where it was, what it said, and why it failed."""

    line_number: int
    raw: bytes
    reason: str


@dataclass(frozen=True)
class ParsedBlock:
    """Valid rows of a block as Arrow columns (in file order) plus the rejected lines."""

    table: pa.Table
    rejects: list[Reject]


def parse_header(line: bytes) -> tuple[str, ...]:
    """Column order of a header line; raises when it is not the five Retail Rocket columns."""
    names = tuple(f.strip().strip('"').lower() for f in line.decode("utf-8", "replace").split(","))
    names = tuple(n.removeprefix("\ufeff") for n in names)
    if sorted(names) != sorted(CSV_FIELDS):
        msg = (
            f"unexpected header {names!r}; an events file starts with the columns "
            f"{','.join(CSV_FIELDS)} (any order). Fix the file's first line."
        )
        raise InputFileError(msg)
    return names


def looks_like_header(line: bytes) -> bool:
    return line.lstrip(b"\xef\xbb\xbf").strip().lower().startswith((b"timestamp", b'"timestamp'))


def _parse_id(name: str, text: str) -> int | str:
    """A non-negative integer (an integral float such as 14418.0 counts), or a reason."""
    value = text.strip()
    if not value:
        return f"missing {name}"
    match = _INTEGRAL.match(value)
    if match is None:
        return f"{name} is not an integer: {value[:40]!r}"
    number = int(match.group(2))
    if match.group(1) == "-" and number != 0:
        return f"negative {name}: {value[:40]}"
    if number > INT64_MAX:
        return f"{name} out of range: {value[:40]}"
    return number


def check_fields(fields: list[str], order: tuple[str, ...] = CSV_FIELDS) -> ValidRow | str:
    """Validate one row's fields (in header order): the event, or the reason it is invalid."""
    if len(fields) != len(CSV_FIELDS):
        return f"expected {len(CSV_FIELDS)} fields, got {len(fields)}"
    named = dict(zip(order, fields, strict=True))
    ids: dict[str, int] = {}
    for name in ID_FIELDS:
        parsed = _parse_id(name, named[name])
        if isinstance(parsed, str):
            return parsed
        ids[name] = parsed
    event = named[EVENT].strip()
    if event not in EVENT_TYPES:
        return f"unknown event type {event[:40]!r}"
    tid_text = named[TRANSACTIONID].strip()
    tid: int | None = None
    if tid_text:
        parsed = _parse_id(TRANSACTIONID, tid_text)
        if isinstance(parsed, str):
            return parsed
        tid = parsed
    if event == TRANSACTION and tid is None:
        return "transaction event without a transactionid"
    if event != TRANSACTION and tid is not None:
        return f"transactionid on a {event} event"
    return ids[TIMESTAMP], ids[VISITORID], event, ids[ITEMID], tid


def check_line(raw: bytes, order: tuple[str, ...] = CSV_FIELDS) -> ValidRow | str:
    """The authoritative (slow) check of one raw line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "line is not valid UTF-8"
    text = text.removesuffix("\r")
    if not text.strip():
        return "empty line"
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error as e:
        return f"unparseable CSV: {e}"
    if len(rows) != 1:
        return "unparseable CSV: not exactly one row"
    return check_fields(rows[0], order)


def fast_pattern(order: tuple[str, ...] = CSV_FIELDS) -> str:
    """One RE2 pattern matching canonical lines, a named group per column."""
    parts = []
    for name in order:
        if name == EVENT:
            parts.append(f"(?P<{name}>{'|'.join(EVENT_TYPES)})")
        elif name == TRANSACTIONID:
            parts.append(f"(?:{_FAST_DIGITS.replace('(', f'(?P<{name}>', 1)})?")
        else:
            parts.append(_FAST_DIGITS.replace("(", f"(?P<{name}>", 1))
    return "^" + ",".join(parts) + "\r?$"


def _fast_path(lines: pa.Array, order: tuple[str, ...]) -> tuple[pa.Array, dict[str, pa.Array]]:
    """Vectorised parse: (mask of accepted lines, their columns as Arrow arrays)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    extracted = pc.extract_regex(lines, fast_pattern(order))
    matched = pc.is_valid(extracted)
    event = pc.struct_field(extracted, EVENT)
    tid_text = pc.struct_field(extracted, TRANSACTIONID)
    has_tid = pc.not_equal(pc.fill_null(tid_text, ""), "")
    is_transaction = pc.equal(event, TRANSACTION)
    ok = pc.and_(matched, pc.equal(has_tid, is_transaction))
    ok = pc.fill_null(ok, False)
    kept = pc.filter(extracted, ok)
    columns: dict[str, pa.Array] = {}
    for name in ID_FIELDS:
        columns[name] = pc.cast(pc.struct_field(kept, name), pa.int64())
    columns[EVENT] = pc.struct_field(kept, EVENT)
    tid = pc.struct_field(kept, TRANSACTIONID)
    tid = pc.if_else(pc.equal(tid, ""), pa.scalar(None, pa.string()), tid)
    columns[TRANSACTIONID] = pc.cast(tid, pa.int64())
    return ok, columns


def parse_lines(
    raw_lines: list[bytes],
    first_seq: int,
    first_line_number: int,
    order: tuple[str, ...] = CSV_FIELDS,
) -> ParsedBlock:
    """Split a block's lines into valid rows (columns + seq) and rejects (with reasons).

    ``seq`` of line i is ``first_seq + i``; its line number in the file ``first_line_number + i``.
    """
    import numpy as np
    import pyarrow as pa

    if not raw_lines:
        return ParsedBlock(table=_empty_table(), rejects=[])
    try:
        decoded = b"\n".join(raw_lines).decode("utf-8").split("\n")
    except UnicodeDecodeError:
        decoded = [line.decode("utf-8", "replace") for line in raw_lines]
    texts = pa.array(decoded, pa.string())
    ok, columns = _fast_path(texts, order)
    ok_np = np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool)
    seqs = np.arange(first_seq, first_seq + len(raw_lines), dtype=np.int64)
    columns[SEQ] = pa.array(seqs[ok_np])
    table = pa.table({name: columns[name] for name in (*_OUTPUT_ORDER,)})
    rejects: list[Reject] = []
    rescued: list[tuple[int, ValidRow]] = []
    for i in np.flatnonzero(~ok_np).tolist():
        result = check_line(raw_lines[i], order)
        if isinstance(result, str):
            rejects.append(Reject(first_line_number + i, raw_lines[i], result))
        else:
            rescued.append((first_seq + i, result))
    if rescued:
        table = _merge_rescued(table, rescued)
    return ParsedBlock(table=table, rejects=rejects)


_OUTPUT_ORDER: tuple[str, ...] = (TIMESTAMP, VISITORID, EVENT, ITEMID, TRANSACTIONID, SEQ)


def _merge_rescued(table: pa.Table, rescued: list[tuple[int, ValidRow]]) -> pa.Table:
    """Add the rows only the slow path accepted, keeping file (seq) order."""
    import pyarrow as pa

    extra = pa.table(
        {
            TIMESTAMP: pa.array([r[0] for _, r in rescued], pa.int64()),
            VISITORID: pa.array([r[1] for _, r in rescued], pa.int64()),
            EVENT: pa.array([r[2] for _, r in rescued], pa.string()),
            ITEMID: pa.array([r[3] for _, r in rescued], pa.int64()),
            TRANSACTIONID: pa.array([r[4] for _, r in rescued], pa.int64()),
            SEQ: pa.array([s for s, _ in rescued], pa.int64()),
        }
    )
    merged = pa.concat_tables([table, extra.cast(table.schema)])
    return merged.sort_by(SEQ)


def _empty_table() -> pa.Table:
    import pyarrow as pa

    from shopstream.contracts import event_schema

    schema = event_schema()
    return pa.table({n: pa.array([], schema.field(n).type) for n in _OUTPUT_ORDER})
