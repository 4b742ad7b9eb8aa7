"""CRM customer exports: a full export plus a later delta export, as CSV with local timestamps.

Story: ~80% of persons opened an account (some of them twice: duplicate accounts with another
email or a typo in the name). The full export holds every account opened before its date; the
delta export holds accounts opened since plus a newer version (later ``UpdatedAt``) of ~8% of the
old ones. Contact points arrive in mixed formats, with junk values, gaps and broken rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from ingestion.sample_data import identifiers as ids
from ingestion.sample_data import settings as S
from ingestion.sample_data.persons import People, epoch_s, rng_for
from ingestion.sample_data.writers import Output, csv_line

COLUMNS = (
    "CustomerID",
    "Email",
    "Mobile",
    "FirstName",
    "LastName",
    "Name",
    "NameLatin",
    "BirthDate",
    "Gender",
    "Address",
    "City",
    "Province",
    "PostalCode",
    "Country",
    "LoyaltyNo",
    "CreatedAt",
    "UpdatedAt",
    "OptInEmail",
    "OptInSMS",
    "OptInAds",
    "VIPLevel",
    "RegisterChannel",
)
SHORT_ROW_FIELDS = 13  # a truncated export line stops after PostalCode
EMAIL_STYLE_WEIGHTS = (0.72, 0.12, 0.04, 0.06, 0.06)
CONSENT_STYLE_WEIGHTS = (0.3, 0.25, 0.2, 0.1, 0.1, 0.05)  # last: empty (unknown)
VIP_LEVELS = ("Regular", "Silver", "Gold", "Platinum")
CHANNELS = ("store", "web", "app", "mini_program")


@dataclass(frozen=True)
class CrmExports:
    full_date: date
    delta_date: date


def generate_crm(out: Output, people: People, seed: int, end_date: date) -> CrmExports:
    """Write ``crm/customers_*.csv`` and leave the table ``crm_records`` (one row per account:
    ``rec, pidx, customer_id, is_dup, created, opt_in_email, email_written``) for other sources.
    """
    con = out.con
    rng = rng_for(seed, "crm")
    n = people.n
    full_date = end_date - timedelta(days=S.CRM_FULL_EXPORT_DAYS_BEFORE_END)
    delta_date = end_date - timedelta(days=S.CRM_DELTA_EXPORT_DAYS_BEFORE_END)
    full_ts, delta_ts = epoch_s(full_date), epoch_s(delta_date)
    hist = epoch_s(min(S.CRM_HISTORY_START, full_date - timedelta(days=365)))

    # Accounts: one per member, a second one for a few of them.
    members = np.flatnonzero(rng.random(n) < S.CRM_COVERAGE)
    n_dup = min(len(members), round(n * S.CRM_DUPLICATE_SHARE))
    dups = np.sort(rng.choice(members, size=n_dup, replace=False))
    rec_person = np.r_[members, dups]
    is_dup = np.r_[np.zeros(len(members), bool), np.ones(n_dup, bool)]
    n_rec = len(rec_person)
    created_first = np.zeros(n, dtype=np.int64)
    created_first[members] = hist + (rng.random(len(members)) * (delta_ts - 86400 - hist)).astype(
        np.int64
    )
    created = created_first[rec_person]
    later = created_first[dups]
    created[is_dup] = later + (rng.random(n_dup) * (delta_ts - 86400 - later)).astype(np.int64)
    # CRM ids are auto-increment numbers in order of creation.
    order = np.lexsort((np.arange(n_rec), created))
    number = np.empty(n_rec, dtype=np.int64)
    number[order] = 10_000_001 + np.arange(n_rec)

    # Versions: every account once (full export if opened before it, else delta), and a newer
    # version of some full-export accounts in the delta.
    in_full = created < full_ts
    horizon = np.where(in_full, full_ts, delta_ts)
    updated1 = created + (rng.random(n_rec) * (horizon - created)).astype(np.int64)
    upd = np.flatnonzero(in_full)
    upd = np.sort(rng.choice(upd, size=round(len(upd) * S.CRM_DELTA_UPDATE_SHARE), replace=False))
    updated2 = full_ts + (rng.random(len(upd)) * (delta_ts - full_ts)).astype(np.int64)
    row_rec = np.r_[np.arange(n_rec), upd]
    version = np.r_[np.ones(n_rec, np.int8), np.full(len(upd), 2, np.int8)]
    row_file = np.r_[np.where(in_full, 0, 1), np.ones(len(upd), np.int64)]
    row_updated = np.r_[updated1, updated2]
    n_rows = len(row_rec)

    # Value-level mess, drawn per written row.
    email_kind = ids.draw(
        rng,
        n_rows,
        (1 - S.CRM_EMAIL_EMPTY - S.CRM_JUNK_EMAIL, S.CRM_EMAIL_EMPTY, S.CRM_JUNK_EMAIL),
    )
    phone_kind = ids.draw(
        rng,
        n_rows,
        (1 - S.CRM_PHONE_EMPTY - S.CRM_JUNK_PHONE, S.CRM_PHONE_EMPTY, S.CRM_JUNK_PHONE),
    )
    birth_kind_rec = ids.draw(
        rng,
        n_rec,
        (
            1 - S.CRM_BIRTH_DATE_EMPTY - S.CRM_IMPOSSIBLE_BIRTH_DATE,
            S.CRM_BIRTH_DATE_EMPTY,
            S.CRM_IMPOSSIBLE_BIRTH_DATE,
        ),
    )
    engagement = people.engagement[rec_person]
    p_consent = 0.35 + 0.3 * np.tanh(np.log(engagement) + 0.3)
    vip = np.clip(np.log(engagement) + rng.normal(0, 0.5, n_rec), -1.0, 1.6)
    # Duplicate accounts: another email for half, a name variant (typo, swapped fields, pinyin).
    variant = np.where(is_dup, rng.integers(1, 4, n_rec), 0)
    rows = pa.table(
        {
            "row_i": np.arange(n_rows),
            "rec": row_rec,
            "pidx": rec_person[row_rec],
            "number": number[row_rec],
            "is_dup": is_dup[row_rec],
            "version": version,
            "file_no": row_file,
            "created": created[row_rec],
            "updated": row_updated,
            "email_kind": email_kind,
            "email_style": ids.draw(rng, n_rows, EMAIL_STYLE_WEIGHTS),
            "alt_email": (is_dup & (rng.random(n_rec) < 0.5))[row_rec],
            "junk_email": rng.integers(0, len(S.JUNK_EMAILS), n_rows),
            "phone_kind": phone_kind,
            "phone_style": rng.integers(0, 60, n_rows),
            "junk_phone": rng.integers(0, len(S.JUNK_PHONES), n_rows),
            "name_style": rng.integers(0, 5, n_rec)[row_rec],
            "variant": variant[row_rec],
            "typo_pos": rng.integers(0, 100, n_rec)[row_rec],
            "birth_kind": birth_kind_rec[row_rec],
            "bad_birth": rng.integers(0, len(S.IMPOSSIBLE_BIRTH_DATES), n_rec)[row_rec],
            "gender_style": rng.integers(0, 4, n_rec)[row_rec],
            "country_style": ids.draw(rng, n_rec, (0.85, 0.1, 0.05))[row_rec],
            "city_pinyin": (rng.random(n_rec) < 0.15)[row_rec],
            "loyalty": np.where(
                rng.random(n_rec) < S.CRM_LOYALTY_SHARE,
                (number * 7919 + 1_000_000_007) % 9_000_000_000 + 1_000_000_000,
                -1,
            )[row_rec],
            "opt_email": rng.random(n_rows) < p_consent[row_rec],
            "opt_sms": rng.random(n_rows) < p_consent[row_rec] - 0.1,
            "opt_ads": rng.random(n_rows) < p_consent[row_rec] - 0.15,
            "consent_style": ids.draw(rng, n_rows, CONSENT_STYLE_WEIGHTS),
            "vip": np.digitize(vip, [0.2, 0.8, 1.3])[row_rec],
            "channel": rng.integers(0, len(CHANNELS), n_rec)[row_rec],
        }
    )

    # Broken rows, only among first versions in the full export that are not updated later, so
    # that every broken row is the only row of its account.
    eligible = np.flatnonzero((version == 1) & (row_file == 0))
    eligible = eligible[~np.isin(row_rec[eligible], upd)]
    n_missing = min(len(eligible), S.mess_count(S.CRM_MISSING_ID, n_rows))
    n_bad = min(len(eligible) - n_missing, S.mess_count(S.CRM_BAD_FIELD_COUNT, n_rows))
    picked = rng.choice(eligible, size=n_missing + n_bad, replace=False)
    broken = np.zeros(n_rows, np.int8)  # 1 missing id, 2 extra field, 3 truncated
    broken[picked[:n_missing]] = 1
    broken[picked[n_missing:]] = np.where(np.arange(n_bad) % 2 == 0, 2, 3)
    rows = rows.append_column("broken", pa.array(broken))

    con.register("_crm_rows", rows)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE crm_rows AS
        SELECT r.*, p.person_id, p.country, p.chinese,
            CASE WHEN r.broken = 1 THEN NULL ELSE 'C' || r.number END AS customer_id,
            CASE r.email_kind
                WHEN 1 THEN NULL
                WHEN 2 THEN {ids.sql_list(S.JUNK_EMAILS)}[r.junk_email + 1]
                ELSE {
            ids.email_sql(
                "CASE WHEN r.alt_email THEN p.email_alt ELSE p.email END", "r.email_style"
            )
        } END AS email_out,
            CASE r.phone_kind
                WHEN 1 THEN NULL
                WHEN 2 THEN {ids.sql_list(S.JUNK_PHONES)}[r.junk_phone + 1]
                ELSE {ids.phone_sql("p.country", "p.phone_nat", "r.phone_style")} END AS mobile,
            CASE WHEN r.variant = 1 AND NOT p.chinese
                 THEN {ids.typo_sql("p.first_name", "r.typo_pos")}
                 WHEN r.variant = 2 THEN p.last_name ELSE p.first_name END AS first_out,
            CASE WHEN r.variant = 2 THEN p.first_name ELSE p.last_name END AS last_out,
            CASE WHEN r.variant = 3 AND p.chinese THEN p.last_latin || ' ' || p.first_latin
                 WHEN r.variant = 1 AND NOT p.chinese
                 THEN {ids.typo_sql("p.first_name", "r.typo_pos")} || ' ' || p.last_name
                 ELSE p.full_name END AS name_out,
            CASE WHEN p.chinese OR r.name_style % 2 = 1 THEN
                {ids.name_latin_sql("p.first_latin", "p.last_latin", "p.chinese", "r.name_style")}
                END AS name_latin,
            CASE r.birth_kind
                WHEN 1 THEN NULL
                WHEN 2 THEN {ids.sql_list(S.IMPOSSIBLE_BIRTH_DATES)}[r.bad_birth + 1]
                ELSE strftime(p.birth_date, '%Y-%m-%d') END AS birth_out,
            CASE r.gender_style
                WHEN 3 THEN NULL
                WHEN 1 THEN (CASE WHEN p.chinese THEN ['女', '男'] ELSE ['F', 'M'] END)
                    [p.gender + 1]
                WHEN 2 THEN ['Female', 'Male'][p.gender + 1]
                ELSE ['F', 'M'][p.gender + 1] END AS gender_out,
            CASE WHEN p.country = 'CN' AND r.city_pinyin THEN p.city_latin ELSE p.city END
                AS city_out,
            {ids.country_sql("p.country", "r.country_style")} AS country_out,
            CASE WHEN r.loyalty >= 0 THEN 'L' || r.loyalty END AS loyalty_no,
            ts_local(r.created) AS created_at,
            ts_local(r.updated) AS updated_at,
            {ids.consent_sql("r.opt_email", "r.consent_style")} AS opt_in_email,
            {ids.consent_sql("r.opt_sms", "r.consent_style")} AS opt_in_sms,
            {ids.consent_sql("r.opt_ads", "r.consent_style")} AS opt_in_ads,
            {ids.sql_list(VIP_LEVELS)}[r.vip + 1] AS vip_level,
            {ids.sql_list(CHANNELS)}[r.channel + 1] AS register_channel,
            p.address, p.province, p.postal_code
        FROM _crm_rows r JOIN persons p USING (pidx)
        ORDER BY r.row_i
        """
    )
    con.unregister("_crm_rows")

    fields = [
        "customer_id",
        "email_out",
        "mobile",
        "first_out",
        "last_out",
        "name_out",
        "name_latin",
        "birth_out",
        "gender_out",
        "address",
        "city_out",
        "province",
        "postal_code",
        "country_out",
        "loyalty_no",
        "created_at",
        "updated_at",
        "opt_in_email",
        "opt_in_sms",
        "opt_in_ads",
        "vip_level",
        "register_channel",
    ]
    normal = csv_line(fields)
    # Broken rows: an unquoted address with a comma (one field too many) or a line cut short.
    extra = csv_line(fields[:9]).removesuffix(" || chr(10)")
    extra += " || ',' || replace(address, ',', '') || ', Apt 2' || ',' || "
    extra += csv_line(fields[10:])
    short = csv_line(fields[:SHORT_ROW_FIELDS])
    line_sql = f"CASE broken WHEN 2 THEN {extra} WHEN 3 THEN {short} ELSE {normal} END"
    for file_no, day in enumerate((full_date, delta_date)):
        sort = "number" if file_no == 0 else "updated, number"
        result = con.sql(
            f"""
            SELECT {line_sql} AS line, customer_id AS record_key, person_id,
                CASE broken WHEN 1 THEN 'missing_key' WHEN 2 THEN 'bad_field_count'
                    WHEN 3 THEN 'bad_field_count' ELSE (CASE WHEN version = 2 THEN 'update' END)
                    END AS issue
            FROM crm_rows WHERE file_no = {file_no} ORDER BY {sort}
            """
        ).to_arrow_table()
        out.write_text(
            "crm", "customers", f"customers_{day:%Y%m%d}.csv", result, header=",".join(COLUMNS)
        )

    # Value-level counts, over rows that parse with the right number of fields.
    counts = con.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE email_kind = 2) AS junk_emails,
            count(*) FILTER (WHERE email_kind = 1) AS empty_emails,
            count(*) FILTER (WHERE email_kind = 0 AND email_style IN (1, 2, 3))
                AS email_case_variants,
            count(*) FILTER (WHERE email_kind = 0 AND email_style IN (3, 4))
                AS email_whitespace_variants,
            count(*) FILTER (WHERE phone_kind = 2) AS junk_phones,
            count(*) FILTER (WHERE phone_kind = 1) AS empty_phones,
            count(*) FILTER (WHERE birth_kind = 2) AS impossible_birth_dates,
            count(*) FILTER (WHERE birth_kind = 1) AS empty_birth_dates,
            count(*) FILTER (WHERE consent_style = {len(ids.CONSENT_FORMATS)})
                AS empty_consent_rows
        FROM crm_rows WHERE broken IN (0, 1)
        """
    ).fetchone()
    names = (
        "junk_emails",
        "empty_emails",
        "email_case_variants",
        "email_whitespace_variants",
        "junk_phones",
        "empty_phones",
        "impossible_birth_dates",
        "empty_birth_dates",
        "empty_consent_rows",
    )
    assert counts is not None
    out.note(
        "crm",
        "customers",
        **{k: int(v) for k, v in zip(names, counts, strict=True)},
        missing_customer_ids=int(n_missing),
        bad_field_count_rows=int(n_bad),
        bad_field_count_lines={
            "too_many_fields": int((broken == 2).sum()),
            "too_few_fields": int((broken == 3).sum()),
        },
        accounts=int(n_rec),
        duplicate_accounts=int(n_dup),
        delta_updates=len(upd),
        delta_new_accounts=int((~in_full).sum()),
        unmapped_columns=["VIPLevel", "RegisterChannel"],
    )

    con.execute(
        """
        CREATE OR REPLACE TABLE crm_records AS
        SELECT rec, pidx, person_id, 'C' || number AS customer_id, is_dup, created,
               arg_max(opt_email, version) AS opt_in_email,
               arg_max(email_out, version) AS email_written,
               arg_max(email_kind, version) AS email_kind
        FROM crm_rows GROUP BY ALL ORDER BY rec
        """
    )
    return CrmExports(full_date=full_date, delta_date=delta_date)
