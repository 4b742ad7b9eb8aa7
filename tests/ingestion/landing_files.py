"""Small hand-written landing files whose every row has a known fate, for exact assertions."""

from __future__ import annotations

from pathlib import Path

CRM_HEADER = (
    "CustomerID,Name,NameLatin,FirstName,LastName,Email,Mobile,BirthDate,Gender,Address,City,"
    "Province,PostalCode,Country,LoyaltyNo,CreatedAt,UpdatedAt,OptInEmail,OptInSMS,OptInAds,"
    "VIPLevel"
)

CRM_FULL = "\n".join(
    [
        CRM_HEADER,
        # line 2: loaded; impossible birth date is nulled, not the whole customer
        "C1,王伟,Wang Wei,伟,王, Wang.Wei@Example.COM ,+86 138 0013 8000,1990-02-30,M,1 Rd,"
        "上海,上海,200000,CN,L1,2024-03-05 14:22:00,2024-03-05 14:22:00,Y,N,1,gold",
        # line 3: loaded, later updated by the delta file
        "C2,Alice Smith,,Alice,Smith,alice@example.com,(415) 555-0100,1985-07-01,F,2 St,"
        "San Francisco,CA,94105,US,,2024-01-01 08:00:00,2024-02-01 08:00:00,true,false,,silver",
        # line 4: no CRM id -> quarantined (missing_required_field)
        ",No Key,,,,x@y.com,,,,,,,,,,2024-01-01 08:00:00,2024-01-01 08:00:00,,,,",
        # line 5: wrong number of fields -> quarantined (wrong_field_count)
        "C3,Bad Row",
        # line 6: unreadable UpdatedAt -> quarantined (invalid_timestamp)
        "C4,Bad Time,,,,b@c.com,,,,,,,,,,2024-01-01,notadate,,,,",
        "",
    ]
)

CRM_DELTA = "\n".join(
    [
        CRM_HEADER,
        "C2,Alice Smith,,Alice,Smith,alice.new@example.com,(415) 555-0100,1985-07-01,F,2 St,"
        "San Francisco,CA,94105,US,,2024-01-01 08:00:00,2024-11-01 08:00:00,true,false,,gold",
        "",
    ]
)

EVENTS_OCTOBER = "\n".join(
    [
        '{"messageId":"m1","type":"page","name":"Home","anonymousId":"a1",'
        '"timestamp":"2026-10-01T10:00:00+08:00","sentAt":"2026-10-01T02:00:01Z",'
        '"context":{"device":{"id":"d1"}},"integrations":{}}',
        '{"messageId":"m2","type":"identify","anonymousId":"a1","userId":"C1",'
        '"traits":{"email":"x@y.com"},"timestamp":"2026-10-01T02:01:00Z","channel":"web"}',
        # exact resend of m2 in the same file
        '{"messageId":"m2","type":"identify","anonymousId":"a1","userId":"C1",'
        '"traits":{"email":"x@y.com"},"timestamp":"2026-10-01T02:01:00Z","channel":"web"}',
        # line 4: truncated JSON
        '{"messageId":"m3","type":"track","event":"Order Completed"',
        # line 5: no type -> missing_required_field
        '{"messageId":"m4","event":"x","timestamp":"2026-10-01T02:01:00Z"}',
        # line 6: valid JSON, not an object
        "[1,2]",
        "",
        # line 8: unreadable timestamp -> invalid_timestamp
        '{"messageId":"m5","type":"track","event":"Product Viewed","timestamp":"yesterday",'
        '"properties":{"sku":"S1"}}',
        "",
    ]
)

EVENTS_NOVEMBER = "\n".join(
    [
        # late event: happened in October, arrives in the November file
        '{"messageId":"m6","type":"track","event":"Product Added","userId":"C1",'
        '"timestamp":"2026-10-30T23:59:00-05:00","properties":{"sku":"S2","quantity":2}}',
        # resend of m1 in a later file
        '{"messageId":"m1","type":"page","name":"Home","anonymousId":"a1",'
        '"timestamp":"2026-10-01T10:00:00+08:00","sentAt":"2026-10-01T02:00:01Z",'
        '"context":{"device":{"id":"d1"}},"integrations":{}}',
        "",
    ]
)


def write_crm(landing: Path, *, delta: bool = True) -> None:
    folder = landing / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers_20261101.csv").write_text(CRM_FULL, encoding="utf-8")
    if delta:
        (folder / "customers_20261115.csv").write_text(CRM_DELTA, encoding="utf-8")


def write_events(landing: Path, *, november: bool = True) -> None:
    folder = landing / "events"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events_2026-10.jsonl").write_text(EVENTS_OCTOBER, encoding="utf-8")
    if november:
        (folder / "events_2026-11.jsonl").write_text(EVENTS_NOVEMBER, encoding="utf-8")
