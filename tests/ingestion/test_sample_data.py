"""The sample data generator: layout, determinism, exact manifest, ground truth and every kind of
mess, measured from the written files (not from the manifest)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from ingestion.sample_data import Manifest, generate, load_manifest

PERSONS = 2000
SEED = 42
ROOT = Path(__file__).resolve().parents[2]
TABLES = (
    "crm.customers",
    "orders.orders",
    "orders.order_lines",
    "events.events",
    "email.email_events",
    "service.tickets",
    "wechat.followers",
    "wechat.interactions",
)


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return generate(PERSONS, SEED, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def landing(run: Manifest) -> Path:
    return run.landing_dir


@pytest.fixture(scope="module")
def truth(run: Manifest):
    return pq.read_table(run.ground_truth_path).to_pandas()


@pytest.fixture(scope="module")
def sources() -> dict:
    return yaml.safe_load((ROOT / "sources.yml").read_text(encoding="utf-8"))["sources"]


def _files(landing: Path, sources: dict, table: str) -> list[Path]:
    source, entity = table.split(".")
    return sorted(landing.glob(sources[source]["tables"][entity]["path"]))


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _followers(landing: Path) -> list[dict[str, str]]:
    """Every WeChat follower row of both exports, as a dict."""
    rows = []
    for path in sorted((landing / "wechat").glob("followers_*.csv")):
        header, data = _csv_rows(path)
        rows += [dict(zip(header, r, strict=True)) for r in data]
    return rows


def _records_in(path: Path) -> int:
    """Records in one landing file, counted the way a reader sees them."""
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".csv":
        return len(_csv_rows(path)[1])
    return sum(1 for _ in path.open(encoding="utf-8"))


@pytest.fixture(scope="module")
def crm(landing: Path) -> list[tuple[str, int, list[str]]]:
    """(file, line number, fields) of every CRM data row."""
    rows = []
    for path in sorted((landing / "crm").glob("customers_*.csv")):
        _header, data = _csv_rows(path)
        rows += [(path.name, i + 2, r) for i, r in enumerate(data)]
    return rows


@pytest.fixture(scope="module")
def crm_header(landing: Path) -> list[str]:
    return _csv_rows(next((landing / "crm").glob("customers_*.csv")))[0]


@pytest.fixture(scope="module")
def events(landing: Path) -> list[tuple[str, int, str, dict | None]]:
    """(file month, line number, raw line, parsed object or None) of every event line."""
    out = []
    for path in sorted((landing / "events").glob("events_*.jsonl")):
        month = path.stem.removeprefix("events_")
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = None
            out.append((month, i + 1, line, obj))
    return out


def _ts(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# --- layout, determinism, rerun ---------------------------------------------------------------
def test_every_source_table_has_files_and_the_mapped_columns(
    run: Manifest, landing: Path, sources: dict, crm_header: list[str]
) -> None:
    for table in TABLES:
        assert _files(landing, sources, table), table
        assert table in run.tables
    mapped = sources["crm"]["tables"]["customers"]["mapping"].values()
    assert set(mapped) <= set(crm_header)
    assert "VIPLevel" in crm_header  # unmapped extra column
    orders = pq.read_table(_files(landing, sources, "orders.orders")[0])
    for column in sources["orders"]["tables"]["orders"]["mapping"].values():
        assert column in orders.column_names
    assert "coupon_code" in orders.column_names
    assert str(orders.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert str(orders.schema.field("total_amount").type) == "decimal128(18, 2)"
    lines = pq.read_table(_files(landing, sources, "orders.order_lines")[0])
    assert str(lines.schema.field("qty").type) == "int64"
    # Several files where incremental loading is natural.
    assert len(_files(landing, sources, "crm.customers")) == 2
    assert len(_files(landing, sources, "orders.orders")) >= 2
    assert len(_files(landing, sources, "events.events")) == 12
    assert (landing / "events" / "events_2026-06.jsonl").exists()
    assert (landing / "crm" / "customers_20261115.csv").exists()


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_rerun_replaces(run: Manifest, tmp_path: Path) -> None:
    stray = tmp_path / "landing" / "crm" / "customers_19990101.csv"
    stray.parent.mkdir(parents=True)
    stray.write_text("stale\n")
    (tmp_path / "keep.txt").write_text("not owned by the generator\n")
    again = generate(PERSONS, SEED, tmp_path)
    assert not stray.exists()
    assert (tmp_path / "keep.txt").exists()
    first = _digest(run.root)
    second = {k: v for k, v in _digest(again.root).items() if k != "keep.txt"}
    assert first == second
    assert len(first) > 40


def test_different_seed_gives_different_files(run: Manifest, tmp_path: Path) -> None:
    other = generate(300, SEED + 1, tmp_path / "other")
    smaller = generate(300, SEED, tmp_path / "same")
    a, b = _digest(other.root), _digest(smaller.root)
    changed = [k for k in a if k in b and a[k] != b[k]]
    assert len(changed) >= len(a) - 2  # (a rare empty monthly file may coincide)


# --- ground truth and manifest ------------------------------------------------------------------
def test_ground_truth_covers_every_record_and_manifest_is_exact(
    run: Manifest, landing: Path, sources: dict, truth
) -> None:
    assert list(truth.columns[:4]) == ["source", "table", "record_key", "person_id"]
    assert truth["person_id"].notna().all()
    assert truth["record_key"].notna().all()
    on_disk = json.loads(run.manifest_path.read_text(encoding="utf-8"))
    assert load_manifest(run.root).tables == run.tables
    for table in TABLES:
        files = _files(landing, sources, table)
        measured = {str(p.relative_to(landing)): _records_in(p) for p in files}
        entry = on_disk[table]
        assert entry["files"] == measured, table
        assert entry["rows"] == sum(measured.values())
        source, entity = table.split(".")
        gt = truth[(truth["source"] == source) & (truth["table"] == entity)]
        assert len(gt) == entry["rows"], table
        assert gt.groupby("file").size().to_dict() == measured, table
        broken = gt["issue"].isin(["bad_json", "missing_key", "bad_field_count"])
        assert gt.loc[~broken, "record_key"].nunique() == entry["distinct_keys"], table
        assert gt.loc[broken, "record_key"].str.match(r"^[a-z]+/[\w\-.]+:\d+$").all()


def test_ground_truth_keys_match_the_files(landing: Path, truth, events, crm) -> None:
    gt = truth[truth["table"] == "events"]
    by_pos = {(f, r): k for f, r, k in zip(gt["file"], gt["row"], gt["record_key"], strict=True)}
    for month, line_no, _, obj in events[:3000]:
        key = by_pos[(f"events/events_{month}.jsonl", line_no)]
        if obj is None:
            assert key == f"events/events_{month}.jsonl:{line_no}"
        else:
            assert key == obj["messageId"]
    gt = truth[truth["table"] == "customers"]
    by_pos = {(f, r): k for f, r, k in zip(gt["file"], gt["row"], gt["record_key"], strict=True)}
    for name, line_no, fields in crm:
        key = by_pos[(f"crm/{name}", line_no)]
        if fields[0] and len(fields) == 22:
            assert key == fields[0]
        else:
            assert key == f"crm/{name}:{line_no}"


# --- CRM --------------------------------------------------------------------------------------
def test_crm_broken_rows_missing_ids_and_value_mess(run: Manifest, crm, crm_header) -> None:
    entry = run.tables["crm.customers"]
    width = len(crm_header)
    bad = [r for r in crm if len(r[2]) != width]
    assert len(bad) == entry["bad_field_count_rows"] >= 2
    assert {len(r[2]) > width for r in bad} == {True, False}  # too many and too few fields
    good = [dict(zip(crm_header, r[2], strict=True)) for r in crm if len(r[2]) == width]
    assert sum(1 for r in good if not r["CustomerID"]) == entry["missing_customer_ids"] >= 3

    junk_emails = {"test@test.com", "noemail@example.com", "null", "N/A"}
    emails = [r["Email"] for r in good]
    assert sum(e in junk_emails for e in emails) == entry["junk_emails"] > 0
    assert sum(e == "" for e in emails) == entry["empty_emails"]
    real = [e for e in emails if e and e not in junk_emails]
    assert sum(e != e.strip() for e in real) == entry["email_whitespace_variants"]
    assert sum(e.strip() != e.strip().lower() for e in real) == entry["email_case_variants"]
    assert any(e.startswith("  ") and e.endswith(" ") and e != e.lower() for e in real)
    n = len(good)
    assert 0.05 < entry["empty_emails"] / n < 0.10
    assert 0.002 < entry["junk_emails"] / n < 0.015

    junk_phones = {"00000000000", "13888888888", "null", "N/A"}
    phones = [r["Mobile"] for r in good]
    assert sum(p in junk_phones for p in phones) == entry["junk_phones"] > 0
    assert sum(p == "" for p in phones) == entry["empty_phones"]
    styles = {
        "+86 138 0013 8000": r"^\+86 1\d{2} \d{4} \d{4}$",
        "13800138000": r"^1[3-9]\d{9}$",
        "0086-138-0013-8000": r"^0086-1\d{2}-\d{4}-\d{4}$",
        "+86-13800138000": r"^\+86-1\d{10}$",
        "(415) 555-0100": r"^\(\d{3}\) \d{3}-\d{4}$",
        "+1 415-555-0100": r"^\+1 \d{3}-\d{3}-\d{4}$",
        "+44 20 7946 0958": r"^\+44 20 \d{4} \d{4}$",
        "020 7946 0958": r"^020 \d{4} \d{4}$",
        "+852 9123 4567": r"^\+852 [569]\d{3} \d{4}$",
        "+49 151 23456789": r"^\+49 1\d{2} \d{8}$",
        "+33 6 12 34 56 78": r"^\+33 [67]( \d{2}){4}$",
    }
    for example, pattern in styles.items():
        assert re.match(pattern, example)
        assert any(re.match(pattern, p) for p in phones), example

    def valid_date(text: str) -> bool:
        try:
            date.fromisoformat(text)
        except ValueError:
            return False
        return True

    births = [r["BirthDate"] for r in good if r["BirthDate"]]
    impossible = [b for b in births if not valid_date(b)]
    assert len(impossible) == entry["impossible_birth_dates"] > 0
    assert {"1990-02-30", "2001-13-01"} & set(impossible)
    consent = Counter(r["OptInEmail"] for r in good)
    assert {"Y", "N", "1", "0", "true", "false", ""} <= set(consent)
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    assert all(stamp.match(r["CreatedAt"]) and stamp.match(r["UpdatedAt"]) for r in good)
    assert any(re.search(r"[\u4e00-\u9fff]", r["Name"]) for r in good)  # Chinese names
    assert any(re.match(r"^[A-Z][a-z]+ [A-Z][a-z]+$", r["NameLatin"]) for r in good)


def test_crm_delta_export_updates_and_duplicate_accounts(run: Manifest, crm, crm_header, truth):
    width = len(crm_header)
    full = {r[2][0]: r[2] for r in crm if r[0] == "customers_20261016.csv" and len(r[2]) == width}
    delta = [r[2] for r in crm if r[0] == "customers_20261115.csv"]
    updated = [r for r in delta if r[0] in full]
    assert len(updated) == run.tables["crm.customers"]["delta_updates"] > 0
    col = crm_header.index("UpdatedAt")
    assert all(r[col] > full[r[0]][col] for r in updated)
    gt = truth[(truth["table"] == "customers") & truth["issue"].isna()]
    accounts = gt.groupby("person_id")["record_key"].nunique()
    share = (accounts >= 2).sum() / PERSONS
    assert 0.02 < share < 0.04
    assert (accounts >= 2).sum() == run.tables["crm.customers"]["duplicate_accounts"]
    assert 0.75 < len(accounts) / PERSONS < 0.85


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    for prefix in ("0086", "86", "0044", "44", "852", "0049", "49", "33", "65"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 8:
            return digits[len(prefix) :].lstrip("0")
    return digits.lstrip("0").removeprefix("1") if len(digits) == 11 else digits.lstrip("0")


def test_households_share_one_phone(crm, crm_header, truth) -> None:
    gt = truth[truth["table"] == "customers"]
    person = {(f, r): p for f, r, p in zip(gt["file"], gt["row"], gt["person_id"], strict=True)}
    col = crm_header.index("Mobile")
    owners: dict[str, set[str]] = defaultdict(set)
    junk = {"00000000000", "13888888888", "null", "N/A", ""}
    for name, line_no, fields in crm:
        if len(fields) > col and fields[col] not in junk:
            owners[_phone_digits(fields[col])].add(person[(f"crm/{name}", line_no)])
    shared = [p for p in owners.values() if len(p) >= 2]
    # ~5% of persons live in households of 2-4: tens of shared numbers among 2000 persons.
    assert 10 <= len(shared) <= 60
    assert max(len(p) for p in shared) <= 4


# --- events -----------------------------------------------------------------------------------
def test_events_mess_counts_and_rates(run: Manifest, events) -> None:
    entry = run.tables["events.events"]
    parsed = [(m, line, o) for m, _, line, o in events if o is not None]
    assert len(events) - len(parsed) == entry["bad_json_lines"] >= 3
    assert sum("type" not in o for _, _, o in parsed) == entry["missing_type"] >= 2
    bad_ts = [o for _, _, o in parsed if _ts(o.get("timestamp")) is None]
    assert len(bad_ts) == entry["bad_timestamps"] >= 2
    counts = Counter(o["messageId"] for _, _, o in parsed)
    extra = sum(c - 1 for c in counts.values())
    assert extra == entry["duplicate_message_ids"]
    assert 0.005 < extra / len(events) < 0.015
    # Resends are byte-identical; some land in a later monthly file.
    lines_by_id: dict[str, set[str]] = defaultdict(set)
    months_by_id: dict[str, set[str]] = defaultdict(set)
    for month, line, o in parsed:
        lines_by_id[o["messageId"]].add(line)
        months_by_id[o["messageId"]].add(month)
    assert all(len(lines_by_id[k]) == 1 for k, c in counts.items() if c > 1)
    across = sum(len(months_by_id[k]) > 1 for k, c in counts.items() if c > 1)
    assert across == entry["duplicates_in_next_file"] > 0
    # Late: the timestamp's month (UTC) is before the file's month.
    late = 0
    for month, _, o in parsed:
        ts = _ts(o.get("timestamp"))
        if ts is not None:
            late += f"{ts.astimezone(UTC):%Y-%m}" < month
    assert late == entry["late_events"] + entry["duplicates_in_next_file"]
    assert 0.01 < entry["late_events"] / len(events) < 0.03
    assert 8 <= run.tables["events.events"]["rows"] / PERSONS <= 12


def test_events_follow_the_segment_spec(events) -> None:
    parsed = [o for _, _, _, o in events if o is not None]
    types = Counter(o.get("type") for o in parsed)
    assert {"identify", "track", "page", "screen"} <= set(types)
    names = {o.get("event") for o in parsed if o.get("type") == "track"}
    assert {"Product Viewed", "Product Added", "Order Completed", "Signed Up"} <= names
    stamps = [str(o.get("timestamp")) for o in parsed]
    for pattern in (r"\.\d{3}Z$", r"\d{2}Z$", r"\+08:00$", r"-05:00$"):
        assert any(re.search(pattern, s) for s in stamps), pattern
    identify = [o for o in parsed if o.get("type") == "identify"]
    assert any(
        o["traits"].get("email", "").strip() != o["traits"].get("email", "") for o in identify
    )
    assert all("userId" not in o or o["userId"] for o in parsed)  # absent, never null
    app = next(o for o in parsed if "device" in o["context"])
    assert set(app["context"]["device"]) == {"id", "type", "manufacturer", "model"}
    web = next(o for o in parsed if "page" in o["context"])
    assert "userAgent" in web["context"] and "integrations" in web and "sentAt" in web


def test_events_identity_stories(events, truth) -> None:
    parsed = [o for _, _, _, o in events if o is not None and _ts(o.get("timestamp"))]
    by_anon: dict[str, list[tuple[datetime, str | None]]] = defaultdict(list)
    for o in parsed:
        by_anon[o["anonymousId"]].append((_ts(o["timestamp"]), o.get("userId")))
    # Anonymous browsing that identifies later on the same device.
    later = 0
    for seq in by_anon.values():
        seq.sort(key=lambda x: x[0])
        if seq[0][1] is None and any(u for _, u in seq):
            later += 1
    assert later >= 20
    # A shared family tablet: one anonymousId, two or more userIds.
    shared = [a for a, seq in by_anon.items() if len({u for _, u in seq if u}) >= 2]
    assert len(shared) >= 3
    # One person on several devices (ground truth person per messageId).
    gt = truth[(truth["table"] == "events") & truth["issue"].isna()]
    person = dict(zip(gt["record_key"], gt["person_id"], strict=True))
    devices: dict[str, set[str]] = defaultdict(set)
    for o in parsed:
        if o["messageId"] in person:
            devices[person[o["messageId"]]].add(o["anonymousId"])
    assert sum(len(d) >= 2 for d in devices.values()) >= 0.2 * len(devices)
    assert sum(len(d) >= 3 for d in devices.values()) > 0


# --- orders and engagement --------------------------------------------------------------------
def test_orders_content(run: Manifest, landing: Path, sources: dict) -> None:
    orders = pq.read_table([str(p) for p in _files(landing, sources, "orders.orders")]).to_pandas()
    lines = pq.read_table(
        [str(p) for p in _files(landing, sources, "orders.order_lines")]
    ).to_pandas()
    assert (lines["qty"] < 0).sum() == run.tables["orders.order_lines"]["negative_quantities"] > 0
    first = orders.drop_duplicates("order_id")
    assert 1.3 < len(first) / PERSONS < 1.7
    guest = first["customer_id"].isna()
    assert 0.15 < guest.mean() < 0.28
    assert first.loc[guest, "guest_email"].notna().any()
    assert first.loc[guest, "guest_phone"].notna().any()
    assert set(first["channel"]) == {"store", "web", "app", "mini_program"}
    assert first.loc[first["channel"] == "store", "store_id"].notna().all()
    assert {"CNY", "USD", "EUR", "GBP", "HKD"} <= set(first["currency"])
    assert {"completed", "cancelled", "refunded", "shipped", "pending"} <= set(first["status"])
    assert lines.groupby("order_id").size().between(1, 5).all()
    assert 1.7 < len(lines) / len(first) < 2.5
    amount = (lines["qty"] * lines["unit_price"]).groupby(lines["order_id"]).sum()
    assert (first.set_index("order_id")["total_amount"] == amount).all()
    assert orders["order_id"].duplicated().sum() == run.tables["orders.orders"]["status_updates"]
    assert len(_files(landing, sources, "orders.orders")) >= 2


def test_engagement_drives_purchases_and_predicts_next_month(
    landing: Path, sources: dict, events, truth
) -> None:
    orders = pq.read_table([str(p) for p in _files(landing, sources, "orders.orders")]).to_pandas()
    orders = orders.drop_duplicates("order_id")
    gt = truth[truth["table"] == "orders"].drop_duplicates("record_key")
    buyer = dict(zip(gt["record_key"], gt["person_id"], strict=True))
    orders["person_id"] = orders["order_id"].map(buyer)
    egt = truth[(truth["table"] == "events") & truth["issue"].isna()]
    ev_person = dict(zip(egt["record_key"], egt["person_id"], strict=True))
    persons = [f"P{i:07d}" for i in range(1, PERSONS + 1)]
    n_events = Counter(ev_person.values())
    n_orders = Counter(orders["person_id"])
    x = np.array([n_events[p] for p in persons], dtype=float)
    y = np.array([n_orders[p] for p in persons], dtype=float)
    rank_x = np.argsort(np.argsort(x + np.arange(len(x)) * 1e-9))
    rank_y = np.argsort(np.argsort(y + np.arange(len(y)) * 1e-9))
    assert np.corrcoef(rank_x, rank_y)[0, 1] > 0.2  # Spearman
    q1, q3 = np.quantile(x, [0.25, 0.75])
    assert y[x >= q3].mean() > 2 * y[x <= q1].mean()

    # Recent engagement (events in the 30 days before a cutoff) predicts a purchase in the
    # following 30 days.
    cutoff = datetime.fromisoformat("2026-10-01T00:00:00+00:00")
    recent = Counter()
    for _, _, _, o in events:
        if o is None or o["messageId"] not in ev_person:
            continue
        ts = _ts(o.get("timestamp"))
        if ts and cutoff - timedelta(days=30) <= ts < cutoff:
            recent[ev_person[o["messageId"]]] += 1
    created = orders["created_at"]
    nxt = orders[(created >= cutoff) & (created < cutoff + timedelta(days=30))]
    buyers = set(nxt["person_id"])
    active = [p for p in persons if recent[p] >= 3]
    inactive = [p for p in persons if recent[p] == 0]
    rate_active = np.mean([p in buyers for p in active])
    rate_inactive = np.mean([p in buyers for p in inactive])
    assert rate_active > 1.5 * rate_inactive


# --- email, service, wechat -------------------------------------------------------------------
def test_email_engagement(run: Manifest, landing: Path, truth) -> None:
    rows = []
    for path in sorted((landing / "email").glob("email_events_*.csv")):
        header, data = _csv_rows(path)
        rows += [dict(zip(header, r, strict=True)) for r in data]
    assert len(rows) == run.tables["email.email_events"]["rows"]
    assert {r["event"] for r in rows} == {"send", "open", "click", "bounce", "unsubscribe"}
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", r["event_time"]) for r in rows)
    assert any(r["email_address"] != r["email_address"].lower() for r in rows)
    assert all(r["link_url"] for r in rows if r["event"] == "click")
    assert "mailbox_provider" in rows[0]
    gt = truth[truth["table"] == "email_events"]
    person = dict(zip(gt["record_key"], gt["person_id"], strict=True))
    egt = truth[(truth["table"] == "events") & truth["issue"].isna()]
    activity = Counter(egt["person_id"])
    sends, opens = Counter(), Counter()
    for r in rows:
        p = person[r["event_id"]]
        sends[p] += r["event"] == "send"
        opens[p] += r["event"] == "open"
    recipients = list(sends)
    act = np.array([activity[p] for p in recipients])
    rate = np.array([opens[p] / max(sends[p], 1) for p in recipients])
    q1, q3 = np.quantile(act, [0.25, 0.75])
    assert rate[act >= q3].mean() > 1.3 * rate[act <= q1].mean()


def test_service_tickets(run: Manifest, landing: Path) -> None:
    tickets = []
    for path in sorted((landing / "service").glob("tickets_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, list)
        tickets += data
    assert len(tickets) == run.tables["service.tickets"]["rows"]
    assert 0.07 < run.tables["service.tickets"]["tickets"] / PERSONS < 0.13
    assert any(t["contact"]["email"] is None for t in tickets)
    assert any(t["contact"]["phone"] is None for t in tickets)
    assert any(t["customer_id"] for t in tickets) and any(not t["customer_id"] for t in tickets)
    assert {t["csat"] for t in tickets} <= {None, 1, 2, 3, 4, 5}
    assert any(re.search(r"[\u4e00-\u9fff]", t["description"]) for t in tickets)
    assert any(re.match(r"^[A-Za-z]", t["description"]) for t in tickets)
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    assert all(stamp.match(t["created"]) and stamp.match(t["updated"]) for t in tickets)
    versions = defaultdict(list)
    for t in tickets:
        versions[t["ticket_id"]].append(t["updated"])
    again = [v for v in versions.values() if len(v) > 1]
    assert len(again) == run.tables["service.tickets"]["reexported_tickets"] > 0
    assert all("agent" in t and "tags" in t for t in tickets)


def test_wechat(run: Manifest, landing: Path, truth) -> None:
    rows = _followers(landing)
    assert all(re.match(r"^o[A-Za-z0-9_-]{27}$", r["openid"]) for r in rows)
    assert all(r["subscribe_time"].isdigit() and r["export_time"].isdigit() for r in rows)
    assert {r["subscribe"] for r in rows} == {"0", "1"}
    followers = {r["openid"] for r in rows}
    cn = run.tables["wechat.followers"]["followers"] / (0.7 * PERSONS)
    assert 0.3 < cn < 0.5
    bound = sum(bool(r["bound_phone"]) for r in rows) / len(rows)
    assert 0.2 < bound < 0.4
    assert 0.75 < sum(bool(r["unionid"]) for r in rows) / len(rows) < 0.95
    n = 0
    for path in sorted((landing / "wechat").glob("interactions_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            assert obj["openid"] in followers
            assert isinstance(obj["create_time"], int)
            assert obj["type"] in {"message", "menu_click", "article_read"}
            n += 1
    assert n == run.tables["wechat.interactions"]["rows"] > 0


def test_mini_program_orders_carry_the_followers_unionid(
    run: Manifest, landing: Path, sources: dict, truth
) -> None:
    """The unionid is what links a follower without a bound phone to a person: a mini-program
    order carries its buyer's unionid exactly when the buyer's follower record shows one.
    (Same seed, same bytes: the determinism test above covers the new column.)"""
    orders = pq.read_table([str(p) for p in _files(landing, sources, "orders.orders")]).to_pandas()
    gt = truth[truth["table"] == "orders"].drop_duplicates("record_key")
    orders["person_id"] = orders["order_id"].map(
        dict(zip(gt["record_key"], gt["person_id"], strict=True))
    )
    assert orders["person_id"].notna().all()
    fgt = truth[truth["table"] == "followers"]
    follower_person = dict(zip(fgt["record_key"], fgt["person_id"], strict=True))
    shown: dict[str, set[str]] = defaultdict(set)  # person -> unionids their follower rows show
    for r in _followers(landing):
        if r["unionid"]:
            shown[follower_person[r["openid"]]].add(r["unionid"])
    assert all(len(u) == 1 for u in shown.values())  # one WeChat account per person
    unionid_of = {person: min(u) for person, u in shown.items()}

    mini = orders["channel"] == "mini_program"
    assert orders.loc[~mini, "wechat_unionid"].isna().all()
    expected = orders.loc[mini, "person_id"].map(unionid_of)
    actual = orders.loc[mini, "wechat_unionid"]
    assert (actual.isna() == expected.isna()).all()
    assert (actual[actual.notna()] == expected[expected.notna()]).all()
    first = orders.drop_duplicates("order_id")
    with_unionid = first["wechat_unionid"].notna().sum()
    assert with_unionid == run.tables["orders.orders"]["orders_with_unionid"] > 0
    # Mini-program buyers who are not followers (or whose record hides the unionid) carry none.
    assert first.loc[first["channel"] == "mini_program", "wechat_unionid"].isna().any()
    # Enough followers buy in the mini-program for the unionid to link a real share of them.
    linked = set(first["wechat_unionid"].dropna())
    assert 0.1 < len(linked) / len(unionid_of) < 0.5


def test_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ingestion.sample_data.__main__ import main

    assert main(["--persons", "50", "--seed", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "events.events" in out and "ground truth" in out
    assert (tmp_path / "ground_truth" / "manifest.json").exists()
    assert (tmp_path / "landing" / "events").is_dir()


# --- product affinity (recommendations) -------------------------------------------------------
PRODUCT_COLUMNS = {"sku", "product_name", "category", "unit_price"}


def _preferred_categories() -> dict[str, set[str]]:
    """person_id -> the categories the generator made that person prefer."""
    from ingestion.sample_data.orders import CATEGORIES, product_affinity

    # The preferred categories do not depend on the popularity weights.
    affinity = product_affinity(SEED, PERSONS, np.ones(300))
    names = list(CATEGORIES)
    return {
        f"P{i + 1:07d}": {names[affinity.first[i]]}
        | ({names[affinity.second[i]]} if affinity.second[i] >= 0 else set())
        for i in range(PERSONS)
    }


def test_product_affinity_draw_is_rng_choice_when_the_share_is_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ingestion.sample_data import settings as S
    from ingestion.sample_data.orders import product_affinity

    monkeypatch.setattr(S, "PREFERRED_CATEGORY_SHARE", 0.0)
    popularity = 1.0 / (1 + np.random.default_rng(3).permutation(S.N_PRODUCTS)) ** 0.8
    popularity /= popularity.sum()
    person = np.random.default_rng(4).integers(0, 50, 5000)
    drawn = product_affinity(SEED, 50, popularity).draw(
        np.random.default_rng(5).random(5000), person
    )
    expected = np.random.default_rng(5).choice(S.N_PRODUCTS, size=5000, p=popularity)
    assert (drawn == expected).all()


def test_order_lines_and_product_views_concentrate_in_preferred_categories(
    landing: Path, sources: dict, truth, events
) -> None:
    from ingestion.sample_data import settings as S

    preferred = _preferred_categories()
    n_preferred = [len(c) for c in preferred.values()]
    assert 0.3 < n_preferred.count(2) / PERSONS < 0.5  # TWO_PREFERRED_CATEGORIES_SHARE = 0.4
    lines = pq.read_table(
        [str(p) for p in _files(landing, sources, "orders.order_lines")]
    ).to_pandas()
    gt = truth[truth["table"] == "order_lines"].drop_duplicates("record_key")
    line_person = dict(zip(gt["record_key"], gt["person_id"], strict=True))
    lines["person_id"] = lines["line_id"].map(line_person)
    in_preferred = [
        category in preferred[person]
        for category, person in zip(lines["category"], lines["person_id"], strict=True)
    ]
    # The preferred share plus the preferred categories' popularity share (about 1.4 of 8
    # categories) of the rest; without affinity it would be that popularity share alone.
    share = S.PREFERRED_CATEGORY_SHARE
    expected = share + (1 - share) * 1.4 / 8
    assert abs(np.mean(in_preferred) - expected) < 0.05
    egt = truth[(truth["table"] == "events") & truth["issue"].isna()]
    ev_person = dict(zip(egt["record_key"], egt["person_id"], strict=True))
    viewed = [
        o["properties"]["category"] in preferred[ev_person[o["messageId"]]]
        for _, _, _, o in events
        if o is not None and o.get("event") == "Product Viewed" and o["messageId"] in ev_person
    ]
    assert len(viewed) > 1000
    assert abs(np.mean(viewed) - expected) < 0.05
    # Global popularity still matters: the most sold product sells far more than the median.
    sold = lines["sku"].value_counts()
    assert sold.iloc[0] > 5 * sold.median()


def test_product_affinity_changes_only_the_products(
    run: Manifest, sources: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without affinity (share 0) every column that does not derive from the product is the
    same for the seed: the draw takes the same uniforms from the orders and events streams."""
    from ingestion.sample_data import settings as S

    monkeypatch.setattr(S, "PREFERRED_CATEGORY_SHARE", 0.0)
    plain = generate(PERSONS, SEED, tmp_path / "plain")
    for table, drop in (
        ("orders.order_lines", PRODUCT_COLUMNS),
        ("orders.orders", {"total_amount"}),
    ):
        with_affinity = pq.read_table(
            [str(p) for p in _files(run.landing_dir, sources, table)]
        ).to_pandas()
        without = pq.read_table(
            [str(p) for p in _files(plain.landing_dir, sources, table)]
        ).to_pandas()
        assert len(with_affinity) == len(without) > 0
        keep = [c for c in with_affinity.columns if c not in drop]
        assert with_affinity[keep].equals(without[keep]), table
    changed = 0
    for path in _files(run.landing_dir, sources, "events.events"):
        other = plain.landing_dir / path.relative_to(run.landing_dir)
        mine, theirs = path.read_text().splitlines(), other.read_text().splitlines()
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            if a == b:
                continue
            # Only the product may differ: its properties and the web page's path (/p/<sku>);
            # a truncated line (bad_json) is cut at half its length, which moves with them.
            try:
                a_obj, b_obj = json.loads(a), json.loads(b)
            except json.JSONDecodeError:
                assert a[:40] == b[:40]
                continue
            assert (a_obj.pop("properties", None) or {}).keys() == (
                b_obj.pop("properties", None) or {}
            ).keys()
            a_obj["context"].pop("page", None)
            b_obj["context"].pop("page", None)
            assert a_obj == b_obj
            changed += 1
    assert changed > 1000
