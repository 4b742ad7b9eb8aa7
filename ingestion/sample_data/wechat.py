"""WeChat official-account followers (CSV exports) and their interactions (monthly JSON lines).

~40% of mainland persons follow the account. WeChat only reveals a phone when the follower bound
one to the membership card (~30%), and the unionid when the account is linked to the open platform
(~85% of follower records show it). The openid is private to the official account, so a follower
without a bound phone is linked to a person only through the unionid: the brand's mini-program
knows its buyer's unionid too (its own openids differ), and mini-program orders carry it
(``orders.wechat_unionid``, see ``orders.py``). Who follows and the WeChat ids are drawn by
:func:`draw_follower_accounts`, which the orders use as well. Times are epoch seconds. The second
export is a delta: new followers, and followers who unsubscribed since.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.sample_data import identifiers as ids
from ingestion.sample_data import settings as S
from ingestion.sample_data.identifiers import scramble48
from ingestion.sample_data.persons import People, Window, epoch_s, rng_for
from ingestion.sample_data.writers import Output, csv_line, json_obj

_CHARSET = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8
)
NICKNAMES = (
    "小鱼",
    "阳光男孩",
    "Lucky",
    "快乐每一天",
    "🌸花花",
    "Amy",
    "静待花开",
    "追风少年",
    "Kevin张",
    "一只猫",
    '"简单"',
    "大海, 蓝天",
    "木子",
    "🍀",
    "Momo",
    "晴天",
)
COLUMNS = (
    "openid",
    "unionid",
    "bound_phone",
    "nickname",
    "city",
    "country",
    "subscribe",
    "subscribe_time",
    "export_time",
    "language",
)
TYPES = ("message", "menu_click", "article_read")
MESSAGES = (
    "你好",
    "会员积分怎么查？",
    "有优惠券吗",
    "门店几点关门",
    "怎么退货",
    "谢谢",
    "双十一有活动吗",
    "发货了吗",
)
MENUS = ("MENU_MEMBER_CENTER", "MENU_STORE_LOCATOR", "MENU_NEW_ARRIVALS", "MENU_ORDERS")
PHONE_STYLES = (1, 4, 0)  # national, +86..., +86 spaced (indexes into the CN formats)


def _wechat_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """``o`` + 27 characters, like real openids/unionids (random: collisions ~ 64^-27)."""
    chars = _CHARSET[rng.integers(0, 64, (n, 27))]
    chars = np.concatenate([np.full((n, 1), ord("o"), np.uint8), chars], axis=1)
    return pa.array(np.ascontiguousarray(chars).view("S28").ravel()).cast(pa.string())


@dataclass(frozen=True)
class FollowerAccounts:
    """The official account's followers (ever, up to the last export), one entry per follower,
    in person order."""

    pidx: np.ndarray  # person index of each follower
    sub_t: np.ndarray  # when they followed (epoch seconds)
    unsub_t: np.ndarray  # when they unfollowed (int64 max: still following)
    openid: pa.Array  # private to the official account
    unionid: pa.Array  # the person's id across the brand's WeChat apps (open platform)
    has_union: np.ndarray  # whether the follower record shows the unionid

    @property
    def n(self) -> int:
        return len(self.pidx)


def export_times(window: Window) -> tuple[int, int]:
    """Epoch seconds of the full export (30 days before the end date) and the delta export."""
    export2 = int((window.end // 86400) * 86400 - 86400)  # the end date
    return export2 - 30 * 86400, export2


def draw_follower_accounts(rng: np.random.Generator, people: People) -> FollowerAccounts:
    """Draw who follows the account, when, and their WeChat ids: the first draws of ``rng``.

    ``generate_wechat`` passes its ``wechat`` stream and goes on drawing from it; the orders,
    generated earlier, pass a fresh ``rng_for(seed, "wechat")``, so both see the same accounts
    and neither changes the other's draws.
    """
    _, export2 = export_times(people.window)
    follow = np.flatnonzero(
        (people.country == "CN") & (rng.random(people.n) < S.WECHAT_FOLLOWER_SHARE_CN)
    )
    n_f = len(follow)
    start = epoch_s(S.CRM_HISTORY_START) - 2 * 365 * 86400
    sub_t = start + (rng.random(n_f) * (export2 - start)).astype(np.int64)
    unsub = rng.random(n_f) < 0.12
    unsub_t = np.where(
        unsub,
        sub_t + (rng.random(n_f) * (export2 - sub_t)).astype(np.int64),
        np.iinfo(np.int64).max,
    )
    openid = _wechat_ids(rng, n_f)
    unionid = _wechat_ids(rng, n_f)
    has_union = rng.random(n_f) < S.WECHAT_UNIONID_SHARE
    return FollowerAccounts(follow, sub_t, unsub_t, openid, unionid, has_union)


def generate_wechat(out: Output, people: People, seed: int) -> None:
    con = out.con
    rng = rng_for(seed, "wechat")
    w = people.window
    export1, export2 = export_times(w)
    accounts = draw_follower_accounts(rng, people)
    follow, sub_t, unsub_t, n_f = accounts.pidx, accounts.sub_t, accounts.unsub_t, accounts.n
    in1 = sub_t < export1
    subscribed1 = unsub_t >= export1
    # Delta: new followers since export 1, and followers who left between the exports.
    in2 = ~in1 | (in1 & subscribed1 & (unsub_t < export2))
    rows_f = np.r_[np.flatnonzero(in1), np.flatnonzero(in2)]
    file_no = np.r_[np.zeros(in1.sum(), np.int64), np.ones(in2.sum(), np.int64)]
    subscribe = np.r_[subscribed1[in1], (unsub_t < export2)[in2] == 0]
    update = np.r_[np.zeros(in1.sum(), bool), in1[in2]]
    followers = pa.table(
        {
            "f": np.arange(n_f),
            "pidx": follow,
            "openid": accounts.openid,
            "unionid": accounts.unionid,
            "has_union": accounts.has_union,
            "has_phone": rng.random(n_f) < S.WECHAT_BOUND_PHONE_SHARE,
            "phone_style": np.array(PHONE_STYLES)[rng.integers(0, len(PHONE_STYLES), n_f)],
            "nick_i": rng.integers(0, len(NICKNAMES) + 4, n_f),
            "nick_suffix": np.where(rng.random(n_f) < 0.3, rng.integers(1, 1000, n_f), -1),
            "country_style": rng.integers(0, 3, n_f),
            "sub_t": sub_t,
        }
    )
    con.register("_followers", followers)
    con.execute(
        """
        CREATE OR REPLACE TABLE followers AS
        SELECT f.*, p.person_id, p.country, p.phone_nat, p.city_latin, p.first_name
        FROM _followers f JOIN persons p USING (pidx) ORDER BY f.f
        """
    )
    con.unregister("_followers")
    frows = pa.table(
        {
            "f": rows_f,
            "file_no": file_no,
            "subscribe": subscribe.astype(np.int8),
            "update": update,
            "i": np.arange(len(rows_f)),
        }
    )
    con.register("_frows", frows)
    nickname = (
        f"CASE WHEN nick_i >= {len(NICKNAMES)} THEN first_name "
        f"ELSE {ids.sql_list(NICKNAMES)}[nick_i + 1] END "
        f"|| CASE WHEN nick_suffix >= 0 THEN nick_suffix::VARCHAR ELSE '' END"
    )
    line = csv_line(
        [
            "openid",
            "CASE WHEN has_union THEN unionid END",
            f"CASE WHEN has_phone THEN {ids.phone_sql('country', 'phone_nat', 'phone_style')} END",
            nickname,
            "city_latin",
            "['中国', 'China', 'CN'][country_style + 1]",
            "subscribe",
            "sub_t",
            "export_t",
            "'zh_CN'",
        ]
    )
    for k, export in enumerate((export1, export2)):
        day = (np.datetime64(export, "s")).astype("datetime64[D]").item()
        result = con.sql(
            f"""
            SELECT {line} AS line, openid AS record_key, person_id,
                CASE WHEN r.update THEN 'update' END AS issue
            FROM (SELECT f.*, r.subscribe, r.update, r.i,
                         {export} + 7200 + f.f % 600 AS export_t
                  FROM _frows r JOIN followers f USING (f) WHERE r.file_no = {k}) r
            ORDER BY i
            """
        ).to_arrow_table()
        out.write_text(
            "wechat", "followers", f"followers_{day:%Y%m%d}.csv", result, header=",".join(COLUMNS)
        )
    con.unregister("_frows")
    out.note(
        "wechat",
        "followers",
        followers=int(n_f),
        unsubscribed_in_delta=int((update & (subscribe == 0)).sum()),
        new_in_delta=int((~in1).sum()),
        unmapped_columns=["language"],
    )

    # Interactions while subscribed, in the window, Poisson in the month's activity.
    act = people.activity[follow]
    counts = rng.poisson(act * S.WECHAT_INTERACTIONS_PER_FOLLOWER_MONTH)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    i_f, i_m = cell // w.n_months, cell % w.n_months
    i_t = w.uniform_in_month(rng, i_m)
    ok = (i_t >= sub_t[i_f]) & (i_t < unsub_t[i_f])
    i_f, i_m, i_t = i_f[ok], i_m[ok], i_t[ok]
    order = np.lexsort((i_f, i_t))
    i_f, i_m, i_t = i_f[order], i_m[order], i_t[order]
    n_i = len(i_f)
    inter = pa.table(
        {
            "i": np.arange(n_i),
            "f": i_f,
            "m": i_m,
            "t": i_t,
            "type_i": ids.draw(rng, n_i, (0.4, 0.3, 0.3)),
            "content_i": rng.integers(0, 1000, n_i),
            "msg": 23_000_000_000_000_000 + scramble48(np.arange(n_i), rng),
        }
    )
    con.register("_inter", inter)
    obj = json_obj(
        [
            ("msg_id", "msg::VARCHAR"),
            ("openid", "openid"),
            ("type", f"{ids.sql_list(TYPES)}[type_i + 1]"),
            (
                "content",
                f"CASE type_i WHEN 0 THEN {ids.sql_list(MESSAGES)}[content_i % "
                f"{len(MESSAGES)} + 1] WHEN 1 THEN {ids.sql_list(MENUS)}[content_i % "
                f"{len(MENUS)} + 1] ELSE 'ART-' || strftime(make_timestamp(t * 1000000), "
                f"'%Y%m') || '-' || lpad((content_i % 12)::VARCHAR, 2, '0') END",
            ),
            ("create_time", "t"),
        ]
    )
    for m, label in enumerate(w.month_labels):
        result = con.sql(
            f"""
            SELECT {obj} || chr(10) AS line, msg::VARCHAR AS record_key, person_id,
                CAST(NULL AS VARCHAR) AS issue
            FROM _inter JOIN followers USING (f) WHERE m = {m} ORDER BY i
            """
        ).to_arrow_table()
        out.write_text("wechat", "interactions", f"interactions_{label}.jsonl", result)
    con.unregister("_inter")
    out.note("wechat", "interactions", interactions=int(n_i))
