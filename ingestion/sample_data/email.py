"""Email engagement exported by the email service provider, as monthly CSV files (UTC ``...Z``).

Recipients are CRM accounts with a usable email and email opt-in; the ESP keeps the address as the
CRM sent it (trimmed, but with its case variants). Two campaigns a month each reach a sample of
the list. Opens and clicks follow the recipient's activity in the campaign month; disengaged
recipients unsubscribe more and get nothing after unsubscribing.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.sample_data import settings as S
from ingestion.sample_data.identifiers import scramble48
from ingestion.sample_data.persons import People, rng_for
from ingestion.sample_data.writers import Output, csv_line

EVENTS = ("send", "open", "click", "bounce", "unsubscribe")
COLUMNS = (
    "event_id",
    "email_address",
    "event",
    "campaign",
    "link_url",
    "event_time",
    "mailbox_provider",
)


def generate_email(out: Output, people: People, seed: int) -> None:
    con = out.con
    rng = rng_for(seed, "email")
    w = people.window
    rec = con.sql(
        """
        SELECT rec, pidx FROM crm_records
        WHERE email_kind = 0 AND opt_in_email ORDER BY rec
        """
    ).fetchnumpy()
    r_pidx = rec["pidx"]
    n_r = len(r_pidx)

    # Campaign schedule: evenly spread in each month, 10:00 UTC-ish.
    c_month = np.repeat(np.arange(w.n_months), S.CAMPAIGNS_PER_MONTH)
    c_slot = np.tile(np.arange(S.CAMPAIGNS_PER_MONTH), w.n_months)
    span = w.month_ends[c_month] - w.month_starts[c_month]
    c_time = w.month_starts[c_month] + (span * (c_slot + 0.3) / S.CAMPAIGNS_PER_MONTH).astype(
        np.int64
    )
    c_time = c_time - c_time % 86400 + 2 * 3600  # 10:00 in Shanghai
    n_c = len(c_month)

    # Sends: each campaign reaches a random share of the list (a loop over campaigns only).
    s_rec_parts, s_camp_parts = [], []
    for c in range(n_c):
        chosen = np.flatnonzero(rng.random(n_r) < S.CAMPAIGN_AUDIENCE_SHARE)
        s_rec_parts.append(chosen)
        s_camp_parts.append(np.full(len(chosen), c))
    s_rec = np.concatenate(s_rec_parts) if s_rec_parts else np.zeros(0, np.int64)
    s_camp = np.concatenate(s_camp_parts) if s_camp_parts else np.zeros(0, np.int64)
    order = np.lexsort((s_camp, s_rec))
    s_rec, s_camp = s_rec[order], s_camp[order]
    act = people.activity[r_pidx[s_rec], c_month[s_camp]]
    n_s = len(s_rec)
    bounce = rng.random(n_s) < S.EMAIL_BOUNCE
    p_open = np.clip(0.04 + 0.45 * (1 - np.exp(-0.5 * act)), 0.02, 0.8)
    opened = ~bounce & (rng.random(n_s) < p_open)
    p_click = np.clip(0.05 + 0.35 * (1 - np.exp(-0.4 * act)), 0.02, 0.5)
    clicked = opened & (rng.random(n_s) < p_click)
    unsub = opened & (rng.random(n_s) < S.EMAIL_UNSUBSCRIBE_PER_SEND * 3 / (1 + act))
    # Nothing is sent to a recipient after the send they unsubscribed from.
    cum = np.cumsum(unsub)
    group_start = np.r_[0, np.flatnonzero(s_rec[1:] != s_rec[:-1]) + 1]
    counts = np.diff(np.r_[group_start, n_s])
    before = cum - unsub - np.repeat((cum - unsub)[group_start], counts)
    keep = before == 0
    s_rec, s_camp, bounce, opened, clicked, unsub = (
        a[keep] for a in (s_rec, s_camp, bounce, opened, clicked, unsub)
    )
    n_s = len(s_rec)

    send_t = c_time[s_camp] + rng.integers(0, 1800, n_s)
    open_t = send_t + rng.exponential(5 * 3600, n_s).astype(np.int64) + 5
    click_t = open_t + rng.exponential(180, n_s).astype(np.int64) + 2
    ev_kind = np.r_[
        np.zeros(n_s),
        np.full(opened.sum(), 1),
        np.full(clicked.sum(), 2),
        np.full(bounce.sum(), 3),
        np.full(unsub.sum(), 4),
    ].astype(np.int8)
    ev_send = np.r_[
        np.arange(n_s),
        np.flatnonzero(opened),
        np.flatnonzero(clicked),
        np.flatnonzero(bounce),
        np.flatnonzero(unsub),
    ]
    ev_time = np.r_[
        send_t,
        open_t[opened],
        click_t[clicked],
        send_t[bounce] + rng.integers(1, 60, int(bounce.sum())),
        click_t[unsub] + rng.integers(30, 300, int(unsub.sum())),
    ]
    inside = ev_time < w.end  # engagement after the export window has not happened yet
    ev_kind, ev_send, ev_time = ev_kind[inside], ev_send[inside], ev_time[inside]
    n_e = len(ev_kind)
    order = np.lexsort((ev_kind, ev_send, ev_time))
    ev_kind, ev_send, ev_time = ev_kind[order], ev_send[order], ev_time[order]

    table = pa.table(
        {
            "i": np.arange(n_e),
            "rec": rec["rec"][s_rec[ev_send]],
            "camp": s_camp[ev_send],
            "kind": ev_kind,
            "t": ev_time,
            "file_m": w.month_of(ev_time),
            "tag": scramble48(np.arange(n_e), rng),
        }
    )
    labels = pa.array(np.array(w.month_labels)[c_month])
    campaigns = pa.table({"camp": np.arange(n_c), "label": labels, "slot": c_slot.astype(np.int64)})
    con.register("_email", table)
    con.register("_campaigns", campaigns)
    con.execute(
        """
        CREATE OR REPLACE TABLE email_rows AS
        SELECT e.*, c.person_id, trim(c.email_written) AS email_address,
            'CMP-' || k.label || '-' || chr(65 + k.slot::INTEGER) AS campaign
        FROM _email e JOIN crm_records c USING (rec) JOIN _campaigns k USING (camp)
        ORDER BY e.i
        """
    )
    con.unregister("_email")
    con.unregister("_campaigns")
    domain = "lower(split_part(email_address, '@', 2))"
    provider = (
        f"CASE WHEN {domain} IN ('qq.com', 'foxmail.com') THEN 'QQ Mail' "
        f"WHEN {domain} IN ('163.com', '126.com') THEN 'NetEase' "
        f"WHEN {domain} = 'gmail.com' THEN 'Gmail' "
        f"WHEN {domain} IN ('outlook.com', 'hotmail.co.uk') THEN 'Outlook' "
        f"WHEN {domain} = 'icloud.com' THEN 'iCloud' ELSE 'Other' END"
    )
    line = csv_line(
        [
            "'evt_' || printf('%012x', tag)",
            "email_address",
            "['send', 'open', 'click', 'bounce', 'unsubscribe'][kind + 1]",
            "campaign",
            "CASE WHEN kind = 2 THEN 'https://shop.lotus-demo.example/lp/' || lower(campaign) "
            "|| '?utm_source=email&utm_campaign=' || campaign END",
            "ts_iso_z(t)",
            provider,
        ]
    )
    for m, label in enumerate(w.month_labels):
        result = con.sql(
            f"""
            SELECT {line} AS line, 'evt_' || printf('%012x', tag) AS record_key, person_id,
                CAST(NULL AS VARCHAR) AS issue
            FROM email_rows WHERE file_m = {m} ORDER BY i
            """
        ).to_arrow_table()
        out.write_text(
            "email", "email_events", f"email_events_{label}.csv", result, header=",".join(COLUMNS)
        )
    kinds = np.bincount(ev_kind, minlength=len(EVENTS))
    out.note(
        "email",
        "email_events",
        recipients=int(n_r),
        campaigns=int(n_c),
        **{f"{name}_events": int(k) for name, k in zip(EVENTS, kinds, strict=True)},
        unmapped_columns=["mailbox_provider"],
    )
