"""Customer service tickets, as monthly JSON array files with local (Asia/Shanghai) times.

A ticket carries whatever the agent captured: an email and/or a phone (either may be null), the
CRM id only sometimes. Some tickets are exported again in the next month's file once closed
(same ``ticket_id``, newer ``updated``), so the loader must keep the newest version.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.sample_data import identifiers as ids
from ingestion.sample_data import settings as S
from ingestion.sample_data.persons import People, rng_for
from ingestion.sample_data.writers import Output

# (category, tags, Chinese subject, Chinese body, English subject, English body); {order} is an
# order reference.
TEMPLATES = (
    (
        "delivery",
        ("delivery", "logistics"),
        "物流查询",
        "我的订单{order}已经下单五天了还没有发货，请帮忙查一下物流。",
        "Where is my order?",
        "My order {order} was placed five days ago and has not shipped yet. Can you check?",
    ),
    (
        "refund",
        ("refund", "payment"),
        "申请退款",
        "订单{order}的商品有质量问题，我想申请退款，请尽快处理。",
        "Refund request",
        "The item in order {order} is damaged. I would like a refund, please.",
    ),
    (
        "product",
        ("product", "presale"),
        "商品咨询",
        "请问这款商品有没有大一号的尺码？什么时候补货？",
        "Product question",
        "Does this product come in a larger size, and when will it be back in stock?",
    ),
    (
        "account",
        ("account", "login"),
        "账号问题",
        "我换了手机号，登录不了会员账号，积分还在吗？",
        "Cannot log in",
        "I changed my phone number and can no longer log in. Are my loyalty points safe?",
    ),
    (
        "invoice",
        ("invoice",),
        "开发票",
        "订单{order}需要开具增值税普通发票，抬头是公司名称。",
        "Invoice needed",
        "Please send me a VAT invoice for order {order}.",
    ),
    (
        "complaint",
        ("complaint", "store"),
        "门店投诉",
        "昨天在门店购物时店员态度很差，希望改进。",
        "Complaint about a store",
        "The staff at the store were rude yesterday. Please look into it.",
    ),
)
AGENTS = ("李娜", "王芳", "张伟", "agent_07", "agent_12", "Emily W.", "陈静", "刘洋")
STATUSES = ("open", "pending", "solved", "closed")
CHANNELS_CN = ("phone", "chat", "wechat", "email")
CHANNELS_OTHER = ("email", "chat", "phone")


def generate_service(out: Output, people: People, seed: int) -> None:
    con = out.con
    rng = rng_for(seed, "service")
    w = people.window
    n = people.n
    rate = S.TICKETS_PER_PERSON_YEAR * people.engagement / max(people.engagement.mean(), 1e-9)
    counts = rng.poisson(rate * (w.end - w.start) / (365.25 * 86400))
    t_person = np.repeat(np.arange(n), counts)
    n_t = len(t_person)
    created = np.sort(w.start + (rng.random(n_t) * (w.end - w.start - 3600)).astype(np.int64))
    t_person = t_person[rng.permutation(n_t)]  # persons in random order of time
    month = w.month_of(created)
    age_days = (w.end - created) / 86400
    status = np.where(
        age_days > 10,
        ids.draw(rng, n_t, (0.02, 0.03, 0.35, 0.60)),
        ids.draw(rng, n_t, (0.35, 0.35, 0.2, 0.1)),
    )
    updated = np.minimum(created + rng.integers(600, 5 * 86400, n_t), w.end - 1)
    # Re-exports: solved tickets closed in the following month, exported again there.
    reexport = np.flatnonzero(
        (status == 2) & (month < w.n_months - 1) & (rng.random(n_t) < S.TICKET_REEXPORT_SHARE * 3)
    )
    re_updated = np.minimum(
        np.maximum(w.month_starts[month[reexport] + 1], updated[reexport])
        + rng.integers(3600, 10 * 86400, len(reexport)),
        w.end - 1,
    )
    re_month = w.month_of(re_updated)
    rows = np.r_[np.arange(n_t), reexport]
    contact = ids.draw(rng, n_t, (0.35, 0.25, 0.35, 0.05))  # email, phone, both, none
    # Satisfaction rises with engagement (happy customers stay engaged).
    mood = 3.2 + 0.8 * np.log(people.engagement[t_person]) + rng.normal(0, 1, n_t)
    csat = np.where(rng.random(n_t) < 0.6, np.clip(np.round(mood), 1, 5), -1)
    table = pa.table(
        {
            "t": rows,
            "version": np.r_[np.ones(n_t, np.int8), np.full(len(reexport), 2, np.int8)],
            "pidx": t_person[rows],
            "created": created[rows],
            "updated": np.r_[updated, re_updated],
            "file_m": np.r_[month, re_month],
            "status_i": np.r_[status, np.full(len(reexport), 3)],
            "csat": np.r_[
                np.where(status >= 2, csat, -1), np.where(csat[reexport] > 0, csat[reexport], 4)
            ],
            "contact": contact[rows],
            "email_style": ids.draw(rng, n_t, (0.7, 0.15, 0.05, 0.05, 0.05))[rows],
            "phone_style": rng.integers(0, 60, n_t)[rows],
            "link_crm": (rng.random(n_t) < 0.4)[rows],
            "channel_i": rng.integers(0, 12, n_t)[rows],
            "template": rng.integers(0, len(TEMPLATES), n_t)[rows],
            "english": (rng.random(n_t) < 0.5)[rows],
            "agent": rng.integers(0, len(AGENTS), n_t)[rows],
            "order_ref": (100000001 + rng.integers(0, 10 * n + 10, n_t))[rows],
        }
    )
    con.register("_tickets", table)
    tpl = {
        key: ids.sql_list([t[i] for t in TEMPLATES])
        for key, i in (("cat", 0), ("zs", 2), ("zb", 3), ("es", 4), ("eb", 5))
    }
    tags = "[" + ", ".join(ids.sql_list(list(t[1])) for t in TEMPLATES) + "]"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE ticket_rows AS
        SELECT k.*, p.person_id,
            'TK' || lpad((1000001 + k.t)::VARCHAR, 7, '0') AS ticket_id,
            (p.country <> 'CN' AND NOT (p.country IN ('HK', 'SG') AND NOT k.english))
                AS in_english,
            CASE WHEN k.contact IN (0, 2) THEN trim({ids.email_sql("p.email", "k.email_style")})
                END AS email,
            CASE WHEN k.contact IN (1, 2)
                THEN {ids.phone_sql("p.country", "p.phone_nat", "k.phone_style")} END AS phone,
            CASE WHEN k.link_crm THEN c.customer_id END AS customer_id,
            CASE WHEN p.country = 'CN'
                THEN {ids.sql_list(CHANNELS_CN)}[k.channel_i % {len(CHANNELS_CN)} + 1]
                ELSE {ids.sql_list(CHANNELS_OTHER)}[k.channel_i % {len(CHANNELS_OTHER)} + 1]
                END AS channel
        FROM _tickets k JOIN persons p USING (pidx)
        LEFT JOIN crm_records c ON c.pidx = k.pidx AND NOT c.is_dup
        ORDER BY k.file_m, k.updated, k.t
        """
    )
    con.unregister("_tickets")
    obj = f"""to_json({{
        'ticket_id': ticket_id,
        'contact': {{'email': email, 'phone': phone}},
        'customer_id': customer_id,
        'channel': channel,
        'subject': CASE WHEN in_english THEN {tpl["es"]}[template + 1]
                   ELSE {tpl["zs"]}[template + 1] END,
        'description': replace(CASE WHEN in_english THEN {tpl["eb"]}[template + 1]
                               ELSE {tpl["zb"]}[template + 1] END, '{{order}}', 'O' || order_ref),
        'status': {ids.sql_list(STATUSES)}[status_i + 1],
        'csat': CASE WHEN csat > 0 THEN csat::INTEGER END,
        'created': ts_local(created),
        'updated': ts_local(updated),
        'agent': {ids.sql_list(AGENTS)}[agent + 1],
        'tags': {tags}[template + 1]
    }})"""
    for m, label in enumerate(w.month_labels):
        result = con.sql(
            f"""
            SELECT '  ' || {obj}
                    || CASE WHEN row_number() OVER w < count(*) OVER () THEN ',' ELSE '' END
                    || chr(10) AS line,
                ticket_id AS record_key, person_id,
                CASE WHEN version = 2 THEN 'update' END AS issue
            FROM ticket_rows WHERE file_m = {m}
            WINDOW w AS (ORDER BY updated, t, version)
            ORDER BY updated, t, version
            """
        ).to_arrow_table()
        out.write_text("service", "tickets", f"tickets_{label}.json", result, array=True)
    out.note(
        "service",
        "tickets",
        tickets=int(n_t),
        reexported_tickets=len(reexport),
        tickets_without_contact=int((contact == 3).sum()),
        unmapped_columns=["agent", "tags"],
    )
