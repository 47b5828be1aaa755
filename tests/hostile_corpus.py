"""Hostile files, as data teams really have them: each case is one interactions file, the options `run` gets for it,
and what the export must write (rows after the header, in file order) and reject (count per reason).

Used by tests/functional/test_hostile_files.py, through the Glue job directly and through `run`'s path, which must
agree row by row: `run` hands the file to the same export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPORT_HEADER = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]
EVENT = "interaction"  # the event type `run` fills in (none of the cases has an event type column)


@dataclass(frozen=True)
class Case:
    name: str  # the file name: its ending says its format
    body: bytes
    mapping: str = "USER_ID=user,ITEM_ID=item,TIMESTAMP=ts"
    options: dict[str, str] = field(default_factory=dict)  # delimiter / encoding / explode, as `run` options
    rows: list[list[str]] = field(default_factory=list)  # exported rows (USER_ID, ITEM_ID, TIMESTAMP, ...)
    rejected: dict[str, int] = field(default_factory=dict)
    error: str = ""  # a file the export must refuse: a fragment of its message

    @property
    def id(self) -> str:
        return self.name


def _row(user: str, item: str, ts: str) -> list[str]:
    return [user, item, ts, EVENT, ""]


LONG_ID = "u" * 257  # Personalize: an ID is at most 256 characters

CASES = [
    Case(  # 0001 and 1 are two users; 0414 stays 0414
        "leading_zeros.csv",
        b"user,item,ts\n0001,0042,1700000000\n1,42,1700000001\n0414,007,1700000002\n",
        rows=[_row("0001", "0042", "1700000000"), _row("1", "42", "1700000001"), _row("0414", "007", "1700000002")],
    ),
    Case(  # a JSON string "007" and a JSON number 7 are two IDs; numbers keep their exact text
        "leading_zeros.jsonl",
        b'{"user": "007", "item": "0042", "ts": 1700000000}\n{"user": 7, "item": 42, "ts": 1700000001}\n',
        rows=[_row("007", "0042", "1700000000"), _row("7", "42", "1700000001")],
    ),
    Case(  # seconds and milliseconds in one JSON column: every event in 2023, none in 1970
        "mixed_units.jsonl",
        b'{"user": "a", "item": "x", "timestamp": 1700000000}\n'
        b'{"user": "b", "item": "y", "timestamp": 1700000001000}\n'
        b'{"user": "c", "item": "z", "timestamp": 1700000002000000}\n',
        mapping="USER_ID=user,ITEM_ID=item,TIMESTAMP=timestamp",
        rows=[_row("a", "x", "1700000000"), _row("b", "y", "1700000001"), _row("c", "z", "1700000002")],
    ),
    Case(
        "mixed_units.csv",
        b"user,item,ts\na,x,1700000000\nb,y,1700000001000\n",
        rows=[_row("a", "x", "1700000000"), _row("b", "y", "1700000001")],
    ),
    Case(  # ISO 8601 with Z, with an offset, naive (UTC), and epoch seconds, in one column
        "mixed_iso_epoch.csv",
        b"user,item,ts\na,x,2024-05-01T10:00:00Z\nb,y,2024-05-01T12:00:00+02:00\n"
        b"c,z,2024-05-01 10:00:00\nd,w,1714557600\n",
        rows=[
            _row("a", "x", "1714557600"),
            _row("b", "y", "1714557600"),
            _row("c", "z", "1714557600"),
            _row("d", "w", "1714557600"),
        ],
    ),
    Case(  # a UTF-8 byte order mark is not part of the first column's name
        "bom.csv",
        b"\xef\xbb\xbfuser,item,ts\nu1,i1,1700000000\n",
        rows=[_row("u1", "i1", "1700000000")],
    ),
    Case(
        "bom.jsonl",
        b'\xef\xbb\xbf{"user": "u1", "item": "i1", "ts": 1700000000}\n',
        rows=[_row("u1", "i1", "1700000000")],
    ),
    Case(  # a quoted value with a line break and a comma stays one value; CRLF line ends leave no \r behind
        "quoted_newlines.csv",
        b'user,item,ts\r\nu1,"line one\nline two, too",1700000000\r\nu2,"say ""hi""",1700000001\r\n',
        rows=[_row("u1", "line one\nline two, too", "1700000000"), _row("u2", 'say "hi"', "1700000001")],
    ),
    Case(  # whitespace alone is no ID; an ID with spaces around it is kept as written
        "whitespace_ids.csv",
        b"user,item,ts\n   ,i1,1700000000\n\t,i2,1700000001\n u3 ,i3,1700000002\nu4,i4,1700000003\n",
        rows=[_row(" u3 ", "i3", "1700000002"), _row("u4", "i4", "1700000003")],
        rejected={"USER_ID:whitespace_only": 2},
    ),
    Case(  # out-of-range times are rejected, never wrapped; a huge integer ID is kept digit for digit
        "huge_values.jsonl",
        b'{"user": 123456789012345678901234567890, "item": "i1", "ts": 1700000000}\n'
        b'{"user": "u2", "item": "i2", "ts": 1e30}\n'
        b'{"user": "u3", "item": "i3", "ts": 99999999999999999999999}\n'
        b'{"user": "u4", "item": "i4", "ts": "9999-12-31T23:59:59Z"}\n'
        + b'{"user": "'
        + LONG_ID.encode()
        + b'", "item": "i5", "ts": 1700000000}\n',
        rows=[_row("123456789012345678901234567890", "i1", "1700000000")],
        rejected={"TIMESTAMP:not_a_timestamp": 3, "USER_ID:longer_than_256_chars": 1},
    ),
    Case(
        "huge_values.csv",
        b"user,item,ts\n123456789012345678901234567890,i1,1700000000\nu2,i2,1e30\n"
        + LONG_ID.encode()
        + b",i3,1700000000\n",
        rows=[_row("123456789012345678901234567890", "i1", "1700000000")],
        rejected={"TIMESTAMP:not_a_timestamp": 1, "USER_ID:longer_than_256_chars": 1},
    ),
    Case(  # Latin-1 read as Latin-1 (given) is exported as UTF-8, the characters unchanged
        "latin1.csv",
        "user,item,ts\nzoë,café,1700000000\n".encode("latin-1"),
        options={"encoding": "latin-1"},
        rows=[_row("zoë", "café", "1700000000")],
    ),
    Case(  # ... and read as UTF-8 (the default) it is refused, with what to do, never written as mojibake
        "latin1_undeclared.csv",
        "user,item,ts\nu1,i1,1700000000\nzoë,café,1700000000\n".encode("latin-1"),
        error="not utf-8 text .* give its encoding",
    ),
    Case(  # a broken line is named by its number, even deep inside a file parsed in batches
        "broken_line.jsonl",
        b"".join(b'{"user": "u%d", "item": "i", "ts": 1700000000}\n' % n for n in range(12_000))
        + b'{"user": "u", "item": "i", "ts": 1700000000\n',
        error="broken_line.jsonl line 12001: not JSON",
    ),
    Case(  # blank lines are no records; a missing key is a missing value; nested objects become outer.inner columns
        "nested.jsonl",
        b'\n{"user": "u1", "item": {"id": "i1", "shelf": "a"}, "ts": 1700000000}\n\n\n'
        b'{"user": "u2", "ts": 1700000001}\n{"user": "u3", "item": {"id": "i3"}, "ts": "1700000002"}\n',
        mapping="USER_ID=user,ITEM_ID=item.id,TIMESTAMP=ts",
        rows=[_row("u1", "i1", "1700000000"), _row("u3", "i3", "1700000002")],
        rejected={"ITEM_ID:missing_required_value": 1},
    ),
    Case(  # semicolons (a European spreadsheet's CSV), detected from the header line
        "semicolon.csv",
        b"user;item;ts\nu1;i1;1700000000\nu2;i,2;1700000001\n",
        rows=[_row("u1", "i1", "1700000000"), _row("u2", "i,2", "1700000001")],
    ),
    Case(
        "tabs.tsv",
        b"user\titem\tts\nu1\ti1\t1700000000\n",
        rows=[_row("u1", "i1", "1700000000")],
    ),
    Case(  # OTTO-style sessions: one event per element of `events`, milliseconds to seconds
        "sessions.jsonl",
        b'{"session": 12, "events": [{"aid": 5, "ts": 1659304800025, "type": "clicks"}, '
        b'{"aid": 6, "ts": 1659304904511, "type": "carts"}]}\n{"session": 13, "events": []}\n',
        mapping="USER_ID=session,ITEM_ID=aid,TIMESTAMP=ts",
        options={"explode": "events"},
        rows=[_row("12", "5", "1659304800"), _row("12", "6", "1659304904")],
    ),
]
