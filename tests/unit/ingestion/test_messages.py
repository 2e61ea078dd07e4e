"""Block encoding and decoding of event messages, and the reasons for bad ones."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.messages import check_message, decode_values, encode_block
from ingestion.validation import parse_lines

pytestmark = pytest.mark.unit


def _encoded(lines: list[bytes], source: str = "abc123") -> list[bytes]:
    return encode_block(parse_lines(lines, 1, 2).table, source).values


def test_encoding_is_the_contract_json() -> None:
    values = _encoded([b"1433221332117,257597,view,355908,", b"5,6,transaction,7,14418.0"])
    assert json.loads(values[0]) == {
        "timestamp": 1433221332117, "visitorid": 257597, "event": "view", "itemid": 355908,
        "transactionid": None, "seq": 1, "source": "abc123",
    }
    assert json.loads(values[1])["transactionid"] == 14418
    assert b" " not in values[0]  # compact


def test_keys_are_visitorid_text() -> None:
    table = parse_lines([b"1,257597,view,3,", b"1,42,view,3,"], 1, 2).table
    assert encode_block(table, "s").keys.to_pylist() == [b"257597", b"42"]


def test_decode_round_trip_keeps_order_and_types() -> None:
    values = _encoded([b"1,2,view,3,", b"4,5,transaction,6,7"])
    decoded = decode_values(values)
    assert decoded.rejects == []
    assert decoded.positions.tolist() == [0, 1]
    assert decoded.table.to_pylist()[1] == {
        "timestamp": 4, "visitorid": 5, "event": "transaction", "itemid": 6,
        "transactionid": 7, "seq": 2, "source": "abc123",
    }


BAD = [
    (None, "empty message (null value)"),
    (b"not json", "value is not JSON"),
    (b"[1, 2]", "value is not a JSON object"),
    (b'{"timestamp": 1, "visitorid": 2, "event": "view", "itemid": 3, "seq": 1}',
     "source missing or not a string"),
    (b'{"timestamp": 1, "visitorid": -2, "event": "view", "itemid": 3, "seq": 1, '
     b'"source": "s"}', "visitorid out of range: -2"),
    (b'{"timestamp": 1, "visitorid": 2, "event": "click", "itemid": 3, "seq": 1, '
     b'"source": "s"}', "unknown event type 'click'"),
    (b'{"timestamp": 1, "visitorid": 2, "event": "view", "itemid": 3, "seq": 0, '
     b'"source": "s"}', "seq out of range: 0"),
    (b'{"timestamp": 1, "visitorid": 2, "event": "view", "itemid": 3, "transactionid": 9, '
     b'"seq": 1, "source": "s"}', "transactionid on a view event"),
    (b'{"timestamp": 1, "visitorid": "2", "event": "view", "itemid": 3, "seq": 1, '
     b'"source": "s"}', "visitorid missing or not an integer"),
]


@pytest.mark.parametrize(("value", "reason"), BAD)
def test_bad_messages_are_rejected_with_reasons(value: bytes | None, reason: str) -> None:
    good = _encoded([b"1,2,view,3,"])[0]
    decoded = decode_values([good, value, good])
    assert decoded.positions.tolist() == [0, 2]
    assert len(decoded.rejects) == 1
    position, got = decoded.rejects[0]
    assert position == 1
    assert got.startswith(reason)


def test_integral_floats_from_other_producers_are_accepted() -> None:
    value = (b'{"timestamp": 1.0, "visitorid": 14418.0, "event": "view", "itemid": 3, '
             b'"transactionid": null, "seq": 1, "source": "s"}')
    assert check_message(value) == (1, 14418, "view", 3, None, 1, "s")
    assert decode_values([value]).table["visitorid"].to_pylist() == [14418]


_value = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": st.one_of(st.integers(-2, 10**13), st.floats(-1, 5), st.text(max_size=2)),
        "visitorid": st.one_of(st.integers(-2, 10**7), st.none()),
        "event": st.sampled_from(["view", "addtocart", "transaction", "x"]),
        "itemid": st.integers(-1, 10),
        "transactionid": st.one_of(st.none(), st.integers(-1, 5)),
        "seq": st.integers(-1, 3),
        "source": st.one_of(st.text(max_size=3), st.integers()),
    },
).map(lambda d: json.dumps(d).encode())


@settings(max_examples=300, deadline=None)
@given(st.lists(_value, min_size=1, max_size=20))
def test_block_decode_agrees_with_message_check(values: list[bytes]) -> None:
    decoded = decode_values(list(values))
    expected = [check_message(v) for v in values]
    valid = [i for i, r in enumerate(expected) if not isinstance(r, str)]
    assert decoded.positions.tolist() == valid
    assert [tuple(r.values()) for r in decoded.table.to_pylist()] == [expected[i] for i in valid]
    assert [p for p, _ in decoded.rejects] == [i for i, r in enumerate(expected)
                                               if isinstance(r, str)]
