"""Web and app events in the Segment spec, as monthly JSON-lines files.

Stories: people browse anonymously and identify later on the same device (same ``anonymousId``,
then ``userId`` from the identify on); many use 2-3 devices; a household shares a family tablet,
so one ``anonymousId`` identifies as two or more people at different times. Web/app orders leave
an ``Order Completed`` event at the order time. Volume per person-month follows the person's
activity, like purchases.

Mess, at known positions: exact resends (same ``messageId``, byte-identical line) in the same or
the next month's file; late events that land in a later month's file than their timestamp;
truncated (unparseable) lines; events without ``type``; events with an unparseable timestamp.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.sample_data import identifiers as ids
from ingestion.sample_data import settings as S
from ingestion.sample_data.orders import (
    CNY_PER_UNIT,
    CURRENCY,
    _country_index,
    product_affinity,
)
from ingestion.sample_data.persons import COUNTRIES, People, rng_for
from ingestion.sample_data.writers import Output, json_obj

TYPES = ("identify", "page", "screen", "track")
# Segment's consent event (Consent Management): preferences in context.consent.
CONSENT_EVENT = "Segment Consent Preference Updated"
TRACK_EVENTS = (
    "Product Viewed",
    "Product List Viewed",
    "Product Added",
    "Products Searched",
    "Product Removed",
    "Cart Viewed",
    "Coupon Applied",
    "Checkout Started",
    "Order Completed",
    "Signed Up",
    CONSENT_EVENT,
)
# The content events of a session that ends in an order, as TRACK_EVENTS indices (-1: the landing
# page or screen, a product page): Product Viewed, Product Added, Checkout Started, Order Completed.
ORDER_FUNNEL = (-1, 0, 2, 7, 8)
BROWSE_TRACK_WEIGHTS = (0.45, 0.15, 0.15, 0.12, 0.04, 0.06, 0.03)  # first 7 of TRACK_EVENTS
PAGES = ("Home", "Category", "Product", "Search", "Cart", "Checkout", "Account")
PLATFORMS = ("web", "ios", "android")
# (manufacturer, model, tablet?) per app platform
IOS_MODELS = (
    ("Apple", "iPhone15,2"),
    ("Apple", "iPhone14,5"),
    ("Apple", "iPhone16,1"),
    ("Apple", "iPhone13,2"),
)
ANDROID_MODELS = (
    ("HUAWEI", "ALN-AL00"),
    ("Xiaomi", "2211133C"),
    ("OPPO", "PHB110"),
    ("vivo", "V2227A"),
    ("samsung", "SM-S9180"),
    ("HONOR", "PGT-AN10"),
)
TABLETS = (
    ("Apple", "iPad13,18", "ios"),
    ("HUAWEI", "BAH3-W09", "android"),
    ("Xiaomi", "22081281AC", "android"),
)
WEB_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; 2211133C) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.6668.100 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 MicroMessenger/8.0.53(0x18003531) NetType/WIFI Language/zh_CN",
)
LOCALES = {
    "CN": "zh-CN",
    "US": "en-US",
    "GB": "en-GB",
    "HK": "zh-HK",
    "DE": "de-DE",
    "FR": "fr-FR",
    "SG": "en-SG",
}
UTC_OFFSET_MIN = {"CN": 480, "HK": 480, "SG": 480, "US": -300, "GB": 0, "DE": 60, "FR": 60}
IP_FIRST_OCTETS_CN = (
    36,
    39,
    58,
    59,
    60,
    61,
    101,
    110,
    111,
    112,
    113,
    114,
    115,
    116,
    117,
    118,
    119,
    120,
    121,
    122,
    123,
    124,
    125,
    180,
    182,
    183,
    202,
    210,
    211,
    218,
    219,
)
IP_FIRST_OCTETS = (
    3,
    8,
    12,
    23,
    24,
    50,
    51,
    62,
    66,
    68,
    71,
    72,
    73,
    75,
    76,
    77,
    78,
    80,
    81,
    82,
    84,
    85,
    86,
    90,
    91,
    92,
    93,
    94,
    95,
    98,
    99,
)
SEARCHES = ("连衣裙", "防晒霜", "running shoes", "耳机", "tea set", "羽绒服", "gift", "口红")
SIGNUP_METHODS = ("email", "phone", "wechat")
MESS_NONE, MESS_BAD_JSON, MESS_NO_TYPE, MESS_BAD_TS = 0, 1, 2, 3
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def uuid_strings(rng: np.random.Generator, n: int) -> pa.Array:
    """Version-4 UUID strings built in numpy (random, with a scrambled counter in the last 48
    bits so they are unique by construction)."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    tail = ids.scramble48(np.arange(n), rng).astype(np.uint64)
    for i in range(6):
        raw[:, 10 + i] = ((tail >> np.uint64(8 * (5 - i))) & np.uint64(0xFF)).astype(np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    for a, b, c in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        text[:, a:b] = hexed[:, c : c + b - a]
    return pa.array(np.ascontiguousarray(text).view("S36").ravel()).cast(pa.string())


def _compact(table: pa.Table) -> pa.Table:
    """Downcast integer columns to the smallest type that holds them (memory at 10M events)."""
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_integer(col.type) and name not in ("ts", "sent") and len(col):
            lo, hi = pc.min(col).as_py(), pc.max(col).as_py()
            for target, limit in (
                (pa.int8(), 1 << 7),
                (pa.int16(), 1 << 15),
                (pa.int32(), 1 << 31),
            ):
                if -limit <= lo and hi < limit:
                    col = col.cast(target)
                    break
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def _rank_in_group(group: np.ndarray, order_key: np.ndarray) -> np.ndarray:
    """0-based rank of each element by ``order_key`` within its ``group``."""
    order = np.lexsort((order_key, group))
    g = group[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(g)])
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(g)) - np.repeat(starts, counts)
    return rank


def _simulate(
    con: duckdb.DuckDBPyConnection, people: People, seed: int
) -> tuple[pa.Table, pa.Table, pa.Table, dict[str, Any]]:
    """All numpy work: devices, rows to write (file order) and event attributes, plus the
    manifest facts. A separate function so its large temporaries are freed before the SQL."""
    rng = rng_for(seed, "events")
    w = people.window
    n = people.n
    recs = con.sql("SELECT rec, pidx, is_dup FROM crm_records ORDER BY rec").fetchnumpy()
    primary = np.full(n, -1, dtype=np.int64)
    second = np.full(n, -1, dtype=np.int64)
    primary[recs["pidx"][~recs["is_dup"]]] = recs["rec"][~recs["is_dup"]]
    second[recs["pidx"][recs["is_dup"]]] = recs["rec"][recs["is_dup"]]

    # --- devices and device uses (a person on a device) ---------------------------------
    in_household = people.household >= 0
    digital = (rng.random(n) < S.DIGITAL_SHARE) | in_household
    n_own = np.where(digital, 1 + ids.draw(rng, n, S.DEVICES_PER_PERSON_WEIGHTS), 0)
    own_person = np.repeat(np.arange(n), n_own)
    n_own_dev = len(own_person)
    own_platform = ids.draw(rng, n_own_dev, (0.45, 0.30, 0.25))
    hh_ids, hh_first = np.unique(people.household[in_household], return_index=True)
    hh_members = np.flatnonzero(in_household)
    n_tab = len(hh_ids)
    tab_kind = rng.integers(0, len(TABLETS), n_tab)
    tab_platform = np.array([1 if t[2] == "ios" else 2 for t in TABLETS])[tab_kind]
    tab_owner = hh_members[hh_first]  # its country/locale is the household's
    n_dev = n_own_dev + n_tab
    dev_platform = np.r_[own_platform, tab_platform]
    dev_country = people.country[np.r_[own_person, tab_owner]]
    cn_dev = dev_country == "CN"
    dev = pa.table(
        {
            "dev": np.arange(n_dev),
            "platform": dev_platform,
            "is_tablet": np.r_[np.zeros(n_own_dev, bool), np.ones(n_tab, bool)],
            "tablet_kind": np.r_[np.full(n_own_dev, -1), tab_kind],
            "model_i": rng.integers(0, 1000, n_dev),
            "ua_i": rng.integers(0, len(WEB_AGENTS), n_dev),
            "os_minor": rng.integers(0, 4, n_dev),
            "app_build": rng.integers(0, 6, n_dev),
            "country": dev_country,
            "ip1": np.where(
                cn_dev,
                np.array(IP_FIRST_OCTETS_CN)[rng.integers(0, len(IP_FIRST_OCTETS_CN), n_dev)],
                np.array(IP_FIRST_OCTETS)[rng.integers(0, len(IP_FIRST_OCTETS), n_dev)],
            ),
            "ip2": rng.integers(0, 256, n_dev),
            "ip3": rng.integers(0, 256, n_dev),
            "ip4": rng.integers(1, 255, n_dev),
            "anon_id": uuid_strings(rng, n_dev),
            "device_uuid": uuid_strings(rng, n_dev),
        }
    )
    # Device uses: own devices, then one use of the household tablet per member.
    member_hh = np.searchsorted(hh_ids, people.household[hh_members])
    du_person = np.r_[own_person, hh_members]
    du_dev = np.r_[np.arange(n_own_dev), n_own_dev + member_hh]
    du_tablet = np.r_[np.zeros(n_own_dev, bool), np.ones(len(hh_members), bool)]
    n_du = len(du_person)
    user_rec = primary[du_person]
    use_second = (second[du_person] >= 0) & (rng.random(n_du) < 0.3)
    user_rec = np.where(use_second, second[du_person], user_rec)
    member = user_rec >= 0
    identifies = np.where(
        member,
        rng.random(n_du) < S.DEVICE_IDENTIFIES_SHARE,
        rng.random(n_du) < S.DEVICE_ANON_IDENTIFY_SHARE,
    )
    identify_at = np.where(identifies, rng.geometric(0.45, n_du) - 1, -1)
    # The family tablet: every member signs in on their first session on it.
    identify_at = np.where(du_tablet, np.where(member, 0, -1), identify_at)
    own_start = np.cumsum(n_own) - n_own  # first own device use of each person
    tablet_du = np.full(n, -1, dtype=np.int64)
    tablet_du[hh_members] = n_own_dev + np.arange(len(hh_members))
    # First web and first app device of each person, to place web/app orders.
    first_web = np.full(n, -1, dtype=np.int64)
    first_app = np.full(n, -1, dtype=np.int64)
    for plat_mask, target in ((own_platform == 0, first_web), (own_platform != 0, first_app)):
        idx = np.flatnonzero(plat_mask)[::-1]  # reversed: the first assignment wins last
        target[own_person[idx]] = idx

    # --- sessions ----------------------------------------------------------------------
    scale = S.BROWSE_SESSIONS_PER_PERSON_YEAR / 12 / max(float(people.activity.mean()), 1e-9)
    month_share = (w.month_ends - w.month_starts) / (30.44 * 86400)
    counts = rng.poisson(people.activity * scale * month_share[None, :])
    counts[~digital] = 0
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    b_person, b_month = cell // w.n_months, cell % w.n_months
    b_start = w.uniform_in_month(rng, b_month) * 1000 + rng.integers(0, 1000, len(cell))
    b_du = own_start[b_person] + (rng.random(len(cell)) * n_own[b_person]).astype(np.int64)
    on_tablet = (tablet_du[b_person] >= 0) & (rng.random(len(cell)) < S.TABLET_SESSION_SHARE)
    b_du = np.where(on_tablet, tablet_du[b_person], b_du)

    web_app = con.sql(
        """
        SELECT o, pidx, created, channel, total_cents, currency FROM orders_all
        WHERE channel IN ('web', 'app') ORDER BY o
        """
    ).fetchnumpy()
    o_person = web_app["pidx"]
    has_dev = n_own[o_person] > 0
    o_keep = np.flatnonzero(has_dev)
    o_person = o_person[o_keep]
    pref = np.where(web_app["channel"][o_keep] == "web", first_web[o_person], first_app[o_person])
    rand_dev = own_start[o_person] + (rng.random(len(o_keep)) * n_own[o_person]).astype(np.int64)
    o_du = np.where(pref >= 0, pref, rand_dev)
    o_time = web_app["created"][o_keep] * 1000 + rng.integers(0, 1000, len(o_keep))

    s_du = np.r_[b_du, o_du]
    s_order = np.r_[np.full(len(cell), -1), web_app["o"][o_keep]]
    s_is_order = s_order >= 0
    n_sess = len(s_du)
    # Order sessions end with Order Completed at the order time; browse sessions start at s_start.
    s_time = np.r_[b_start, o_time]
    s_rank = _rank_in_group(s_du, s_time)
    s_identify = s_rank == identify_at[s_du]
    s_identified = (identify_at[s_du] >= 0) & (s_rank >= identify_at[s_du])
    n_content = np.where(
        s_is_order, len(ORDER_FUNNEL), 1 + rng.poisson(S.EXTRA_EVENTS_PER_SESSION, n_sess)
    )
    n_ev = n_content + s_identify
    s_signup = (
        s_identify & member[s_du] & ~s_is_order & (n_content >= 2) & (rng.random(n_sess) < 0.25)
    )

    # --- events ------------------------------------------------------------------------
    e_sess = np.repeat(np.arange(n_sess), n_ev)
    n_e = len(e_sess)
    pos = np.arange(n_e) - np.repeat(np.cumsum(n_ev) - n_ev, n_ev)
    is_identify = s_identify[e_sess] & (pos == 1)
    cpos = pos - (s_identify[e_sess] & (pos >= 1))  # position among content events
    e_du = s_du[e_sess]
    e_platform = dev_platform[du_dev[e_du]]
    order_sess = s_is_order[e_sess]
    # Content: landing page/screen first; order sessions a fixed funnel; else random mix.
    browse_track = ids.draw(rng, n_e, BROWSE_TRACK_WEIGHTS)
    is_track_random = rng.random(n_e) < 0.65
    funnel = np.array(ORDER_FUNNEL)
    track_i = np.where(
        order_sess,
        funnel[np.minimum(cpos, len(ORDER_FUNNEL) - 1)],
        np.where((cpos >= 1) & is_track_random, browse_track, -1),
    )
    track_i = np.where(s_signup[e_sess] & (cpos == 1), 9, track_i)
    track_i = np.where(is_identify | (cpos == 0), -1, track_i)
    page_type = np.where(e_platform == 0, 1, 2)
    type_i = np.where(is_identify, 0, np.where(track_i >= 0, 3, page_type))
    page_i = np.where(
        cpos == 0,
        np.where(order_sess, 2, rng.choice([0, 1, 2], n_e, p=[0.5, 0.25, 0.25])),
        rng.choice(len(PAGES), n_e, p=[0.15, 0.25, 0.35, 0.1, 0.08, 0.04, 0.03]),
    )
    # The page a track event happens on: product events on the product page, etc.
    page_i = np.select(
        [
            np.isin(track_i, [0, 2, 4]),
            track_i == 1,
            track_i == 3,
            np.isin(track_i, [5, 6]),
            np.isin(track_i, [7, 8]),
            track_i == 9,
        ],
        [2, 1, 3, 4, 5, 6],
        default=page_i,
    )
    gaps = rng.exponential(45_000, n_e).astype(np.int64) + 500
    cs = np.cumsum(gaps)
    first_idx = np.cumsum(n_ev) - n_ev
    offset = cs - np.repeat(cs[first_idx], n_ev)  # 0 for the first event of a session
    last_offset = np.repeat(offset[first_idx + n_ev - 1], n_ev)
    ts = np.where(order_sess, s_time[e_sess] - (last_offset - offset), s_time[e_sess] + offset)
    ts = np.clip(ts, w.start * 1000, w.end * 1000 - 1)
    month = w.month_of(ts // 1000)
    e_person = du_person[e_du]

    # --- mess: disjoint sets of events --------------------------------------------------
    not_identify = np.flatnonzero(~is_identify)
    n_bad = S.mess_count(S.EVENT_BAD_JSON, n_e)
    n_no_type = S.mess_count(S.EVENT_MISSING_TYPE, n_e)
    n_bad_ts = S.mess_count(S.EVENT_BAD_TIMESTAMP, n_e)
    first3 = rng.choice(not_identify, size=n_bad + n_no_type + n_bad_ts, replace=False)
    mess = np.zeros(n_e, np.int8)
    mess[first3[:n_bad]] = MESS_BAD_JSON
    mess[first3[n_bad : n_bad + n_no_type]] = MESS_NO_TYPE
    mess[first3[n_bad + n_no_type :]] = MESS_BAD_TS
    rest = np.flatnonzero(mess == 0)
    late_pool = rest[month[rest] < w.n_months - 1]
    n_late = min(len(late_pool), S.mess_count(S.EVENT_LATE, n_e))
    late = np.sort(rng.choice(late_pool, size=n_late, replace=False))
    rest = np.setdiff1d(rest, late, assume_unique=True)
    n_dup = min(len(rest), S.mess_count(S.EVENT_DUPLICATES, n_e))
    dup_src = np.sort(rng.choice(rest, size=n_dup, replace=False))

    # Arrival: a moment after the event, or for late events sometime in a later month.
    file_m = month.copy()
    late_shift = np.where(rng.random(n_late) < 0.2, 2, 1)
    file_m[late] = np.minimum(month[late] + late_shift, w.n_months - 1)
    sent = ts + rng.integers(50, 3000, n_e)
    arrival = sent + rng.integers(100, 2000, n_e)
    late_arrival = w.uniform_in_month(rng, file_m[late]) * 1000
    sent[late] = np.maximum(late_arrival - rng.integers(100, 2000, n_late), ts[late])
    arrival[late] = np.maximum(late_arrival, arrival[late])
    # Resends: byte-identical copies, same file (a bit later) or the next month's file.
    dup_next = (rng.random(n_dup) < S.EVENT_DUPLICATE_NEXT_FILE_SHARE) & (
        file_m[dup_src] < w.n_months - 1
    )
    dup_file = file_m[dup_src] + dup_next
    dup_arrival = np.where(
        dup_next,
        w.uniform_in_month(rng, dup_file) * 1000,
        arrival[dup_src] + rng.integers(1000, 3_600_000, n_dup),
    )

    e_country = people.country[e_person]
    ci = _country_index(e_country)
    events = pa.table(
        {
            "e": np.arange(n_e),
            "pidx": e_person,
            "dev": du_dev[e_du],
            "platform": e_platform,
            "user_rec": np.where(s_identified[e_sess] | is_identify, user_rec[e_du], -1),
            "type_i": type_i,
            "track_i": track_i,
            "page_i": page_i,
            # The product of product events: the person's preferred categories or popularity.
            "product_i": product_affinity(
                seed,
                n,
                con.sql("SELECT popularity FROM products ORDER BY product_i").fetchnumpy()[
                    "popularity"
                ],
            ).draw(rng.random(n_e), e_person),
            "order_o": s_order[e_sess],
            "ts": ts,
            "sent": sent,
            "ts_style": ids.draw(rng, n_e, (0.4, 0.2, 0.3, 0.1)),
            "offset_min": np.array([UTC_OFFSET_MIN[c] for c in COUNTRIES])[ci],
            "currency": np.array([CURRENCY[c] for c in COUNTRIES])[ci],
            "fx": np.array([CNY_PER_UNIT[CURRENCY[c]] for c in COUNTRIES])[ci],
            "mess": mess,
            "bad_ts_i": rng.integers(0, len(S.BAD_TIMESTAMPS), n_e),
            "trait_email": rng.random(n_e) < 0.9,
            "trait_phone": rng.random(n_e) < 0.5,
            "trait_name": rng.random(n_e) < 0.6,
            "email_style": ids.draw(rng, n_e, (0.6, 0.2, 0.05, 0.1, 0.05)),
            "phone_style": rng.integers(0, 60, n_e),
            "name_style": rng.integers(0, 5, n_e),
            "search_i": rng.integers(0, len(SEARCHES), n_e),
            "signup_i": rng.integers(0, len(SIGNUP_METHODS), n_e),
            "late": np.isin(np.arange(n_e), late),
            "message_id": uuid_strings(rng, n_e),
        }
    )
    # Rows written: every event (in its file) plus the resent copies.
    row_e = np.r_[np.arange(n_e), dup_src]
    row_file = np.r_[file_m, dup_file]
    row_copy = np.r_[np.zeros(n_e, bool), np.ones(n_dup, bool)]
    row_order = np.lexsort((row_copy, row_e, np.r_[arrival, dup_arrival], row_file))
    rows = pa.table(
        {
            "seq": np.arange(len(row_e)),  # position in file order (file, arrival)
            "e": row_e[row_order],
            "file_m": row_file[row_order],
            "copy": row_copy[row_order],
        }
    )
    # Facts the story promises (tests look for them in the files).
    n_multi = int(
        np.sum(np.bincount(own_person[np.unique(du_dev[e_du][~du_tablet[e_du]])], minlength=n) >= 2)
    )
    notes = dict(
        events=int(n_e),
        duplicate_message_ids=int(n_dup),
        duplicates_in_next_file=int(dup_next.sum()),
        late_events=int(n_late),
        bad_json_lines=int(n_bad),
        missing_type=int(n_no_type),
        bad_timestamps=int(n_bad_ts),
        identify_events=int(is_identify.sum()),
        persons_with_multiple_devices=n_multi,
        shared_tablets=int(n_tab),
        unmapped_columns=["integrations", "channel"],
    )
    return _compact(events), _compact(rows), dev, notes


# --- consent preference updates (Segment Consent Management) -----------------------------
CONSENT_TRACK_I = TRACK_EVENTS.index(CONSENT_EVENT)
# Share of persons with identified web/app events who set their preferences in a consent banner,
# the chance each category is granted then, and the share who change their mind later (a
# withdrawal of email and possibly more) or re-send the same choice (no change to record).
CONSENT_PERSON_SHARE = 0.08
CONSENT_GRANT_PROBABILITY = {"email": 0.75, "sms": 0.45, "advertising": 0.55, "analytics": 0.8}
CONSENT_WITHDRAW_SHARE = 0.3
CONSENT_RESEND_SHARE = 0.1
_CONSENT_STREAM = 101  # own random stream: the other events do not change


def _add_consent_events(
    events: pa.Table, rows: pa.Table, w: Any, seed: int
) -> tuple[pa.Table, pa.Table, int]:
    """Add "Segment Consent Preference Updated" track events for a few identified persons.

    Each is sent on a device and under the userId of one of the person's identified events, a
    few seconds after it; some persons later withdraw (email always, other categories by
    chance), some re-send an identical choice. The preferences ride in the new columns
    ``consent_<category>`` (null on every other event) and become
    ``context.consent.categoryPreferences``. The new events are appended at the end of their
    month's file (no new mess: never late, never resent, always parseable).
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _CONSENT_STREAM])))
    user_rec = events.column("user_rec").to_numpy()
    mess = events.column("mess").to_numpy()
    late = events.column("late").to_numpy(zero_copy_only=False)
    pidx = events.column("pidx").to_numpy()
    ts = events.column("ts").to_numpy()
    eligible = np.flatnonzero((user_rec >= 0) & (mess == 0) & ~late)
    shuffled = rng.permutation(eligible)
    _, first = np.unique(pidx[shuffled], return_index=True)  # one random event per person
    anchors = np.sort(shuffled[first])
    anchors = anchors[rng.random(len(anchors)) < CONSENT_PERSON_SHARE]
    n = len(anchors)
    first_at = ts[anchors] + rng.integers(2_000, 60_000, n)
    prefs = {c: rng.random(n) < p for c, p in CONSENT_GRANT_PROBABILITY.items()}
    # Later updates: a withdrawal (email off, the rest kept or switched off at random) or the
    # same choice again, days to weeks later, from the same device; none past the window.
    later_at = first_at + (rng.exponential(30, n) * 86_400_000).astype(np.int64) + 60_000
    kind = rng.random(n)
    withdraw = (kind < CONSENT_WITHDRAW_SHARE) & (later_at < w.end * 1000)
    resend = (kind >= 1 - CONSENT_RESEND_SHARE) & (later_at < w.end * 1000)
    second = withdraw | resend
    later_prefs = {
        c: np.where(withdraw, False if c == "email" else prefs[c] & (rng.random(n) < 0.5), prefs[c])
        for c in prefs
    }
    source = np.r_[anchors, anchors[second]]
    new_ts = np.r_[first_at, later_at[second]]
    new = events.take(pa.array(source))
    m = len(source)
    replace = {
        "e": np.arange(events.num_rows, events.num_rows + m),
        "type_i": np.full(m, TYPES.index("track")),
        "track_i": np.full(m, CONSENT_TRACK_I),
        "page_i": np.full(m, PAGES.index("Account")),
        "order_o": np.full(m, -1),
        "ts": new_ts,
        "sent": new_ts + rng.integers(50, 3000, m),
        "mess": np.zeros(m),
        "late": np.zeros(m, dtype=bool),
        "message_id": uuid_strings(rng, m),
    }
    for name, values in replace.items():
        column = pa.array(values) if isinstance(values, np.ndarray) else values
        if pa.types.is_integer(new.schema.field(name).type):
            column = column.cast(pa.int64())
        new = new.set_column(new.schema.get_field_index(name), name, column)
    for category in prefs:
        values = np.r_[prefs[category], later_prefs[category][second]]
        new = new.append_column(f"consent_{category}", pa.array(values))
        events = events.append_column(f"consent_{category}", pa.nulls(events.num_rows, pa.bool_()))
    widened = pa.schema(
        [f.with_type(pa.int64()) if pa.types.is_integer(f.type) else f for f in events.schema]
    )
    events = _compact(pa.concat_tables([events.cast(widened), new.cast(widened)]))
    # Appended after everything else in their month's file, in time order.
    file_m = w.month_of(new_ts // 1000)
    order = np.lexsort((new_ts, file_m))
    start = int(pc.max(rows.column("seq")).as_py()) + 1 if rows.num_rows else 0
    added = pa.table(
        {
            "seq": np.arange(start, start + m),
            "e": replace["e"][order],
            "file_m": file_m[order],
            "copy": np.zeros(m, dtype=bool),
        }
    )
    widened_rows = pa.schema(
        [f.with_type(pa.int64()) if pa.types.is_integer(f.type) else f for f in rows.schema]
    )
    rows = _compact(pa.concat_tables([rows.cast(widened_rows), added.cast(widened_rows)]))
    return events, rows, int(m)


def _with_consent_context(context: str) -> str:
    """The context SQL with ``consent.categoryPreferences`` merged in on consent events."""
    preferences = ", ".join(
        f"'{category}': consent_{category}" for category in CONSENT_GRANT_PROBABILITY
    )
    consent = f"to_json({{'consent': {{'categoryPreferences': {{{preferences}}}}}}})"
    return (
        f"CASE WHEN type_i = 3 AND track_i = {CONSENT_TRACK_I} "
        f"THEN json_merge_patch({context}, {consent}) ELSE {context} END"
    )


def generate_events(out: Output, people: People, seed: int) -> None:
    con = out.con
    w = people.window
    events, rows, dev, notes = _simulate(con, people, seed)
    events, rows, notes["consent_preference_updates"] = _add_consent_events(events, rows, w, seed)
    con.register("_events", events)
    con.execute("CREATE OR REPLACE TABLE ev AS SELECT * FROM _events")
    con.unregister("_events")
    del events
    # Context is constant per device except the web page: build its JSON once per device.
    head, tail = _context_sql()
    con.register("_devices", dev)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE devices AS
        SELECT dev, anon_id, {head} AS ctx_head, {tail} AS ctx_tail
        FROM _devices ORDER BY dev
        """
    )
    con.unregister("_devices")
    con.register("_ev_rows", rows)
    con.execute("CREATE OR REPLACE TABLE ev_rows AS SELECT * FROM _ev_rows")
    con.unregister("_ev_rows")
    del rows, dev

    line_sql = _line_sql()
    for m, label in enumerate(w.month_labels):
        # Joining per month keeps the wide JSON inputs (device context) out of any big sort.
        result = con.sql(
            f"""
            WITH x AS (
                SELECT r.seq, r.copy, ev.*, p.person_id, p.country AS p_country, p.email,
                    p.email_alt, p.phone_nat, p.first_latin, p.last_latin, p.chinese,
                    c.customer_id, c.is_dup, d.anon_id, d.ctx_head, d.ctx_tail,
                    pr.sku, pr.product_name, pr.category, pr.price_cny, o.order_id,
                    o.total_cents
                FROM ev_rows r JOIN ev USING (e)
                JOIN persons p USING (pidx)
                JOIN devices d USING (dev)
                JOIN products pr USING (product_i)
                LEFT JOIN crm_records c ON c.rec = ev.user_rec
                LEFT JOIN orders_all o ON o.o = ev.order_o
                WHERE r.file_m = {m}
            ),
            j AS (SELECT *, {line_sql} AS j FROM x)
            SELECT CASE WHEN mess = {MESS_BAD_JSON} THEN left(j, length(j) // 2) ELSE j END
                    || chr(10) AS line,
                message_id AS record_key, person_id,
                CASE WHEN copy THEN 'duplicate' WHEN mess = {MESS_BAD_JSON} THEN 'bad_json'
                     WHEN mess = {MESS_NO_TYPE} THEN 'missing_type'
                     WHEN mess = {MESS_BAD_TS} THEN 'bad_timestamp'
                     WHEN late THEN 'late' END AS issue
            FROM j ORDER BY seq
            """
        ).to_arrow_table()
        out.write_text("events", "events", f"events_{label}.jsonl", result)

    out.note("events", "events", **notes)
    con.execute("DROP TABLE ev")
    con.execute("DROP TABLE ev_rows")


def _context_sql() -> tuple[str, str]:
    """SQL (over ``_devices``) for the JSON text of a device's context around the web page.

    Web context is ``head || page || tail``; app context is all in ``head`` (empty tail).
    """
    locale = " ".join(f"WHEN '{c}' THEN '{v}'" for c, v in LOCALES.items())
    ios = ids.sql_list([m for _, m in IOS_MODELS])
    android = ids.sql_list([m for _, m in ANDROID_MODELS])
    android_maker = ids.sql_list([m for m, _ in ANDROID_MODELS])
    tab_model = ids.sql_list([t[1] for t in TABLETS])
    tab_maker = ids.sql_list([t[0] for t in TABLETS])
    model = (
        f"CASE WHEN is_tablet THEN {tab_model}[tablet_kind + 1] "
        f"WHEN platform = 1 THEN {ios}[model_i % {len(IOS_MODELS)} + 1] "
        f"ELSE {android}[model_i % {len(ANDROID_MODELS)} + 1] END"
    )
    maker = (
        f"CASE WHEN is_tablet THEN {tab_maker}[tablet_kind + 1] WHEN platform = 1 THEN 'Apple' "
        f"ELSE {android_maker}[model_i % {len(ANDROID_MODELS)} + 1] END"
    )
    ip = "ip1 || '.' || ip2 || '.' || ip3 || '.' || ip4"
    locale_sql = f"CASE country {locale} END"
    web_head = (
        f"rtrim(to_json({{'ip': {ip}, 'locale': {locale_sql}, "
        f"'userAgent': {ids.sql_list(list(WEB_AGENTS))}[ua_i + 1]}})::VARCHAR, '}}') "
        """|| ',"page":'"""
    )
    web_tail = """',"library":{"name":"analytics.js","version":"5.2.0"}}'"""
    app = (
        f"to_json({{'ip': {ip}, 'locale': {locale_sql}, "
        f"'device': {{'id': device_uuid, "
        f"'type': CASE WHEN platform = 1 THEN 'ios' ELSE 'android' END, "
        f"'manufacturer': {maker}, 'model': {model}}}, "
        f"'os': {{'name': CASE WHEN platform = 1 THEN 'iOS' ELSE 'Android' END, "
        f"'version': CASE WHEN platform = 1 THEN '18.' || os_minor ELSE (12 + os_minor)::VARCHAR "
        f"END}}, "
        f"'app': {{'name': 'Lotus & Co.', 'version': '4.' || (app_build + 2) || '.0', "
        f"'build': (4200 + app_build * 7)::VARCHAR}}, "
        f"'library': {{'name': CASE WHEN platform = 1 THEN 'analytics-ios' "
        f"ELSE 'analytics-android' END, 'version': '4.1.8'}}}})::VARCHAR"
    )
    head = f"CASE WHEN platform = 0 THEN {web_head} ELSE {app} END"
    tail = f"CASE WHEN platform = 0 THEN {web_tail} ELSE '' END"
    return head, tail


def _line_sql() -> str:
    """SQL for one Segment event as JSON text (no newline), over the columns of ``ev_x``."""
    page_path = (
        "CASE page_i WHEN 0 THEN '/' WHEN 1 THEN '/c/' || lower(category) "
        "WHEN 2 THEN '/p/' || sku WHEN 3 THEN '/search' WHEN 4 THEN '/cart' "
        "WHEN 5 THEN '/checkout' ELSE '/account' END"
    )
    page_name = f"{ids.sql_list(PAGES)}[page_i + 1]"
    page_struct = (
        f"{{'path': {page_path}, 'url': 'https://shop.lotus-demo.example' || {page_path}, "
        f"'title': {page_name} || ' | Lotus & Co.', "
        f"'referrer': CASE WHEN page_i = 0 THEN 'https://www.baidu.com/' ELSE '' END}}"
    )
    page_json = f"to_json({page_struct})::VARCHAR"
    context = f"(ctx_head || CASE WHEN platform = 0 THEN {page_json} ELSE '' END || ctx_tail)::JSON"
    context = _with_consent_context(context)
    price = "((greatest(round(price_cny / fx / 100), 1) * 100 - 1)::DECIMAL(38, 0) / 100)"
    price = f"({price})::DECIMAL(18, 2)"
    total = "((total_cents::DECIMAL(38, 0) / 100)::DECIMAL(18, 2))"
    product = (
        f"{{'product_id': sku, 'sku': sku, 'name': product_name, 'category': category, "
        f"'price': {price}, 'currency': currency, 'quantity': 1}}"
    )
    properties = (
        f"CASE WHEN type_i = 1 THEN ({page_json})::JSON "
        f"WHEN type_i <> 3 THEN NULL "
        f"WHEN track_i = {CONSENT_TRACK_I} THEN '{{}}'::JSON "
        f"WHEN track_i IN (0, 2, 4) THEN to_json({product}) "
        f"WHEN track_i = 1 THEN to_json({{'category': category}}) "
        f"WHEN track_i = 3 THEN to_json({{'query': {ids.sql_list(SEARCHES)}[search_i + 1]}}) "
        f"WHEN track_i = 5 THEN to_json({{'cart_id': 'cart-' || dev}}) "
        f"WHEN track_i = 6 THEN to_json({{'coupon_name': 'WELCOME10'}}) "
        f"WHEN track_i = 7 THEN to_json({{'order_id': order_id, 'value': {total}, "
        f"'currency': currency}}) "
        f"WHEN track_i = 8 THEN to_json({{'order_id': order_id, 'total': {total}, "
        f"'revenue': {total}, 'currency': currency}}) "
        f"ELSE to_json({{'method': {ids.sql_list(SIGNUP_METHODS)}[signup_i + 1]}}) END"
    )
    email = ids.email_sql("CASE WHEN is_dup THEN email_alt ELSE email END", "email_style")
    traits = json_obj(
        [
            ("email", f"CASE WHEN trait_email THEN {email} END"),
            (
                "phone",
                f"CASE WHEN trait_phone THEN "
                f"{ids.phone_sql('p_country', 'phone_nat', 'phone_style')} END",
            ),
            (
                "name",
                f"CASE WHEN trait_name THEN "
                f"{ids.name_latin_sql('first_latin', 'last_latin', 'chinese', 'name_style')}"
                f" END",
            ),
        ]
    )

    # Timestamps: UTC with or without milliseconds, or local time with the country's offset.
    def stamp(col: str) -> str:
        off = "(CASE WHEN ts_style >= 2 THEN offset_min ELSE 0 END)"
        local = f"make_timestamp(({col} + {off} * 60000) * 1000)"
        ms = f"'.' || lpad(({col} % 1000)::VARCHAR, 3, '0')"
        zone = (
            "CASE WHEN ts_style < 2 THEN 'Z' ELSE (CASE WHEN offset_min < 0 THEN '-' ELSE '+' "
            "END) || lpad((abs(offset_min) // 60)::VARCHAR, 2, '0') || ':' "
            "|| lpad((abs(offset_min) % 60)::VARCHAR, 2, '0') END"
        )
        return (
            f"strftime({local}, '%Y-%m-%dT%H:%M:%S') "
            f"|| (CASE WHEN ts_style IN (0, 2) THEN {ms} ELSE '' END) || {zone}"
        )

    timestamp = (
        f"CASE WHEN mess = {MESS_BAD_TS} THEN {ids.sql_list(S.BAD_TIMESTAMPS)}[bad_ts_i + 1] "
        f"ELSE {stamp('ts')} END"
    )
    return json_obj(
        [
            ("messageId", "message_id"),
            (
                "type",
                f"CASE WHEN mess = {MESS_NO_TYPE} THEN NULL "
                f"ELSE {ids.sql_list(TYPES)}[type_i + 1] END",
            ),
            ("event", f"CASE WHEN type_i = 3 THEN {ids.sql_list(TRACK_EVENTS)}[track_i + 1] END"),
            ("name", f"CASE WHEN type_i IN (1, 2) THEN {page_name} END"),
            ("anonymousId", "anon_id"),
            ("userId", "customer_id"),
            ("traits", f"CASE WHEN type_i = 0 THEN ({traits})::JSON END"),
            ("properties", properties),
            ("context", context),
            ("timestamp", timestamp),
            ("sentAt", stamp("sent")),
            (
                "integrations",
                "CASE WHEN platform = 0 THEN '{}'::JSON ELSE '{\"All\":true}'::JSON END",
            ),
            ("channel", "CASE WHEN platform = 0 THEN 'client' ELSE 'mobile' END"),
        ]
    )
