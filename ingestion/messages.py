"""The event message (docs/contracts.md): block-wise encoding for the producer, decoding for
the consumer.

Encoding builds every JSON value of a block with Arrow string kernels (no per-row json.dumps).
Decoding parses a whole poll's values with one ``pyarrow.json.read_json`` call on the
newline-joined bytes; only when that fails (a foreign or broken message) are the values parsed
one by one, and each bad one gets a reason.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shopstream.contracts import (
    EVENT,
    EVENT_TYPES,
    ITEMID,
    SEQ,
    SOURCE,
    TIMESTAMP,
    TRANSACTION,
    TRANSACTIONID,
    VISITORID,
    event_schema,
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

_INT_FIELDS: tuple[str, ...] = (TIMESTAMP, VISITORID, ITEMID, SEQ)


@dataclass(frozen=True)
class Encoded:
    keys: pa.Array
    values: list[bytes]


@dataclass(frozen=True)
class Decoded:
    """Valid messages as a table (rows in input order), their input positions, the rejects."""

    table: pa.Table
    positions: np.ndarray
    rejects: list[tuple[int, str]]


def encode_block(table: pa.Table, source: str) -> Encoded:
    """Keys (visitorid as text) and compact JSON values for every row of a validated block."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(name: str) -> pa.Array:
        return pc.cast(table[name], pa.string())

    tid = pc.fill_null(text(TRANSACTIONID), "null")
    visitor = text(VISITORID)
    joined = pc.binary_join_element_wise(
        '{"timestamp":', text(TIMESTAMP),
        ',"visitorid":', visitor,
        ',"event":"', table[EVENT],
        '","itemid":', text(ITEMID),
        ',"transactionid":', tid,
        ',"seq":', text(SEQ),
        f',"source":{json.dumps(source)}}}',
        "",
    )
    values = pc.cast(joined, pa.binary()).to_pylist()
    return Encoded(keys=pc.cast(visitor, pa.binary()).combine_chunks()
                   if isinstance(visitor, pa.ChunkedArray) else pc.cast(visitor, pa.binary()),
                   values=values)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def check_message(value: bytes | None) -> tuple[Any, ...] | str:
    """The authoritative check of one message value: the row, or why it is invalid."""
    if value is None:
        return "empty message (null value)"
    try:
        obj = json.loads(value)
    except (ValueError, UnicodeDecodeError) as e:
        return f"value is not JSON: {e}"
    if not isinstance(obj, dict):
        return "value is not a JSON object"
    ints: dict[str, int] = {}
    for name in _INT_FIELDS:
        number = _integer(obj.get(name))
        if number is None:
            return f"{name} missing or not an integer"
        if number < (1 if name == SEQ else 0):
            return f"{name} out of range: {number}"
        ints[name] = number
    event = obj.get(EVENT)
    if event not in EVENT_TYPES:
        return f"unknown event type {str(event)[:40]!r}"
    raw_tid = obj.get(TRANSACTIONID)
    tid = _integer(raw_tid)
    if raw_tid is not None and (tid is None or tid < 0):
        return "transactionid is not a non-negative integer"
    if (event == TRANSACTION) != (tid is not None):
        return ("transaction event without a transactionid" if event == TRANSACTION
                else f"transactionid on a {event} event")
    source = obj.get(SOURCE)
    if not isinstance(source, str) or not source:
        return "source missing or not a string"
    return (ints[TIMESTAMP], ints[VISITORID], event, ints[ITEMID], tid, ints[SEQ], source)


def decode_values(values: list[bytes | None]) -> Decoded:
    """Decode a poll's message values column-wise; bad messages become rejects with reasons."""
    import numpy as np

    table = _read_json_block(values)
    if table is None:
        return _decode_slowly(values)
    ok = _valid_mask(table)
    if ok.all():
        return Decoded(table, np.arange(len(values)), [])
    rejects: list[tuple[int, str]] = []
    for i in np.flatnonzero(~ok).tolist():
        result = check_message(values[i])
        rejects.append((i, result if isinstance(result, str) else "invalid field values"))
    positions = np.flatnonzero(ok)
    return Decoded(table.filter(ok), positions, rejects)


def _read_json_block(values: list[bytes | None]) -> pa.Table | None:
    """One pyarrow.json call for all values, or None when the block cannot be read that way."""
    import pyarrow.json as pajson

    if not values or any(v is None for v in values):
        return None
    data = b"\n".join(values)  # type: ignore[arg-type]
    if data.count(b"\n") != len(values) - 1:
        return None
    try:
        table = pajson.read_json(
            io.BytesIO(data),
            read_options=pajson.ReadOptions(block_size=max(1 << 20, len(data) + 1)),
            parse_options=pajson.ParseOptions(
                explicit_schema=event_schema(), unexpected_field_behavior="ignore"
            ),
        )
    except Exception:  # any Arrow parse/convert error: fall back to the per-message path
        return None
    if table.num_rows != len(values):
        return None
    return table.select(event_schema().names).cast(event_schema())


def _valid_mask(table: pa.Table) -> np.ndarray:
    """Vectorised twin of `check_message` for rows pyarrow could convert."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    conds = []
    for name in _INT_FIELDS:
        conds.append(pc.greater_equal(table[name], 1 if name == SEQ else 0))
    conds.append(pc.is_in(table[EVENT], value_set=pa.array(EVENT_TYPES)))
    has_tid = pc.is_valid(table[TRANSACTIONID])
    conds.append(pc.equal(has_tid, pc.equal(table[EVENT], TRANSACTION)))
    conds.append(pc.or_kleene(pc.invert(has_tid), pc.greater_equal(table[TRANSACTIONID], 0)))
    conds.append(pc.greater(pc.utf8_length(table[SOURCE]), 0))
    ok = conds[0]
    for cond in conds[1:]:
        ok = pc.and_kleene(ok, cond)
    return np.asarray(pc.fill_null(ok, False).to_numpy(zero_copy_only=False), dtype=bool)


def _decode_slowly(values: list[bytes | None]) -> Decoded:
    import numpy as np
    import pyarrow as pa

    rows: list[tuple[Any, ...]] = []
    positions: list[int] = []
    rejects: list[tuple[int, str]] = []
    for i, value in enumerate(values):
        result = check_message(value)
        if isinstance(result, str):
            rejects.append((i, result))
        else:
            rows.append(result)
            positions.append(i)
    schema = event_schema()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    table = pa.table(
        {f.name: pa.array(list(col), f.type) for f, col in zip(schema, columns, strict=True)}
    )
    return Decoded(table, np.asarray(positions, dtype=np.int64), rejects)
