"""The line validator: every reject reason, integral floats, fast path == slow path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.errors import InputFileError
from ingestion.validation import check_line, parse_header, parse_lines

pytestmark = pytest.mark.unit

VALID = [
    (b"1433221332117,257597,view,355908,", (1433221332117, 257597, "view", 355908, None)),
    (b"1433221332117,257597,transaction,355908,14418", (1433221332117, 257597, "transaction",
                                                         355908, 14418)),
    (b"1433221332117,257597,transaction,355908,14418.0", (1433221332117, 257597, "transaction",
                                                           355908, 14418)),
    (b"1433221332117.0,257597.00,addtocart,355908.0,", (1433221332117, 257597, "addtocart",
                                                         355908, None)),
    (b"1,2,view,3,\r", (1, 2, "view", 3, None)),
    (b'"1","2","view","3",""', (1, 2, "view", 3, None)),
    (b"1, 2 ,view,3,", (1, 2, "view", 3, None)),
]

INVALID = [
    (b"", "empty line"),
    (b"1,2,view,3", "expected 5 fields, got 4"),
    (b"1,2,view,3,,", "expected 5 fields, got 6"),
    (b"1,2,click,3,", "unknown event type 'click'"),
    (b"1,2,View,3,", "unknown event type 'View'"),
    (b"1,,view,3,", "missing visitorid"),
    (b",2,view,3,", "missing timestamp"),
    (b"1,2,view,,", "missing itemid"),
    (b"1,-2,view,3,", "negative visitorid: -2"),
    (b"1,2,view,-3,", "negative itemid: -3"),
    (b"1,14418.5,view,3,", "visitorid is not an integer: '14418.5'"),
    (b"1,abc,view,3,", "visitorid is not an integer: 'abc'"),
    (b"1,2,view,3,77", "transactionid on a view event"),
    (b"1,2,addtocart,3,77", "transactionid on a addtocart event"),
    (b"1,2,transaction,3,", "transaction event without a transactionid"),
    (b"1,2,transaction,3,7.5", "transactionid is not an integer: '7.5'"),
    (b"1,99999999999999999999,view,3,", "visitorid out of range: 99999999999999999999"),
    (b"\xff\xfe,2,view,3,", "line is not valid UTF-8"),
    (b'1,"2,view,3,', "unparseable CSV: unexpected end of data"),
]


@pytest.mark.parametrize(("line", "row"), VALID)
def test_valid_lines(line: bytes, row: tuple[object, ...]) -> None:
    assert check_line(line) == row
    parsed = parse_lines([line], first_seq=1, first_line_number=2)
    assert parsed.rejects == []
    got = parsed.table.to_pylist()[0]
    assert (got["timestamp"], got["visitorid"], got["event"], got["itemid"],
            got["transactionid"]) == row


@pytest.mark.parametrize(("line", "reason"), INVALID)
def test_invalid_lines(line: bytes, reason: str) -> None:
    assert check_line(line) == reason
    parsed = parse_lines([line], first_seq=1, first_line_number=7)
    assert parsed.table.num_rows == 0
    assert [(r.line_number, r.raw, r.reason) for r in parsed.rejects] == [(7, line, reason)]


def test_block_keeps_file_order_seq_and_line_numbers() -> None:
    lines = [b"1,2,view,3,", b"bad", b'"4","5","view","6",""', b"7,8,view,9,"]
    parsed = parse_lines(lines, first_seq=10, first_line_number=11)
    assert parsed.table["seq"].to_pylist() == [10, 12, 13]
    assert parsed.table["timestamp"].to_pylist() == [1, 4, 7]
    assert [(r.line_number, r.reason) for r in parsed.rejects] == [
        (12, "expected 5 fields, got 1")
    ]


def test_header_in_other_order_reorders_columns() -> None:
    order = parse_header(b"visitorid,timestamp,event,itemid,transactionid")
    parsed = parse_lines([b"2,1,view,3,"], 1, 2, order)
    assert parsed.table.to_pylist()[0]["visitorid"] == 2
    assert parsed.table.to_pylist()[0]["timestamp"] == 1
    assert check_line(b"2,1,view,3,", order) == (1, 2, "view", 3, None)


def test_wrong_header_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(InputFileError, match="timestamp,visitorid,event,itemid,transactionid"):
        parse_header(b"time,visitor,event,item,tx")


_number = st.one_of(
    st.integers(min_value=0, max_value=10**19).map(str),
    st.integers(min_value=-5, max_value=10**6).map(lambda n: f"{n}.0"),
    st.integers(min_value=0, max_value=10**6).map(lambda n: f"{n}.5"),
    st.sampled_from(["", " 1", "1 ", "0", "-0", "1e3", "+4", "00012", "1.", ".0", "x"]),
)
_event = st.sampled_from(["view", "addtocart", "transaction", "View", "", "buy", " view"])
_field_line = st.tuples(_number, _number, _event, _number, _number).map(
    lambda f: ",".join(f).encode()
)
_any_line = st.one_of(_field_line, st.binary(max_size=40),
                      st.text(alphabet="0123456789,.-\"\r vwie", max_size=40).map(str.encode))


@settings(max_examples=400, deadline=None)
@given(st.lists(_any_line, min_size=1, max_size=30))
def test_block_parse_agrees_with_line_by_line_check(lines: list[bytes]) -> None:
    lines = [line.replace(b"\n", b"") for line in lines]
    parsed = parse_lines(lines, first_seq=1, first_line_number=2)
    expected_valid = {}
    expected_rejects = {}
    for i, line in enumerate(lines):
        result = check_line(line)
        if isinstance(result, str):
            expected_rejects[i + 2] = result
        else:
            expected_valid[i + 1] = result
    got_valid = {
        r["seq"]: (r["timestamp"], r["visitorid"], r["event"], r["itemid"], r["transactionid"])
        for r in parsed.table.to_pylist()
    }
    assert got_valid == expected_valid
    assert {r.line_number: r.reason for r in parsed.rejects} == expected_rejects
    assert parsed.table["seq"].to_pylist() == sorted(expected_valid)
