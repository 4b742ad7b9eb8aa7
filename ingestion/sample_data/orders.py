"""Orders and order lines from stores, web, app and the WeChat mini-program, as typed parquet.

Purchase frequency follows each person's monthly activity (the same latent value that drives
events and email engagement), so engaged people buy more and a busy month predicts the next.
Parts of 3 months each; a shipped/pending order appears again in the next part as completed with a
newer ``updated_at`` (the loader keeps the newest version of an ``order_id``).

The WeChat mini-program knows its buyer's unionid (the id the official account shows too, when
linked to the open platform; mini-program openids differ from the account's). A mini-program order
carries it in ``wechat_unionid`` when the buyer follows the account and the follower record shows
a unionid, so the order links the follower to the buyer's CRM id, email or phone; other orders,
and mini-program buyers who do not follow, carry none. The accounts come from
``wechat.draw_follower_accounts`` on a fresh copy of the ``wechat`` stream (the orders stream is
untouched).

Products: each person prefers one or two categories (:func:`product_affinity`, a stream of its
own); their order lines, and their product views in the events, come from those categories for
``PREFERRED_CATEGORY_SHARE`` of the draws and from the catalogue by popularity otherwise. The
draw is an inverse-CDF lookup of the same uniforms ``rng.choice(p=popularity)`` took, so every
other column of a seed is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.sample_data import identifiers as ids
from ingestion.sample_data import settings as S
from ingestion.sample_data.persons import COUNTRIES, People, rng_for
from ingestion.sample_data.wechat import draw_follower_accounts
from ingestion.sample_data.writers import Output

CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    # category: (nouns, CNY price range)
    "Apparel": (
        (
            "T-Shirt",
            "Hoodie",
            "Linen Shirt",
            "Down Jacket",
            "Cardigan",
            "Qipao Dress",
            "Chinos",
            "Trench Coat",
        ),
        (99, 899),
    ),
    "Shoes": (("Running Shoes", "Loafers", "Sneakers", "Ankle Boots", "Sandals"), (299, 1299)),
    "Beauty": (
        (
            "Face Serum",
            "Sheet Mask Set",
            "Lipstick",
            "Sunscreen SPF50",
            "Cleansing Oil",
            "Eye Cream",
        ),
        (59, 699),
    ),
    "Home": (
        (
            "Tea Set",
            "Silk Pillowcase",
            "Scented Candle",
            "Bamboo Towel",
            "Rice Cooker",
            "Ceramic Vase",
        ),
        (39, 999),
    ),
    "Electronics": (
        ("Wireless Earbuds", "Power Bank", "Smart Watch", "Bluetooth Speaker", "Tablet Stand"),
        (199, 4999),
    ),
    "Accessories": (
        ("Leather Wallet", "Silk Scarf", "Tote Bag", "Sunglasses", "Watch Strap"),
        (49, 599),
    ),
    "Kids": (("Plush Panda", "Building Blocks", "Kids Backpack", "Picture Book Set"), (49, 499)),
    "Sports": (("Yoga Mat", "Badminton Racket", "Water Bottle", "Fitness Band"), (99, 1499)),
}
ADJECTIVES = (
    "Classic",
    "Urban",
    "Essential",
    "Premium",
    "Lite",
    "Pro",
    "Organic",
    "Heritage",
    "Cloud",
    "Jade",
    "Lotus",
    "Summit",
)
CURRENCY = {
    "CN": "CNY",
    "US": "USD",
    "GB": "GBP",
    "HK": "HKD",
    "DE": "EUR",
    "FR": "EUR",
    "SG": "SGD",
}
CNY_PER_UNIT = {"CNY": 1.0, "USD": 7.1, "GBP": 9.1, "HKD": 0.91, "EUR": 7.8, "SGD": 5.3}
CHANNELS = ("store", "web", "app", "mini_program")
MINI_PROGRAM = CHANNELS.index("mini_program")
CHANNEL_WEIGHTS = {"CN": (0.35, 0.15, 0.25, 0.25), "other": (0.40, 0.40, 0.20, 0.0)}
COUPONS = ("WELCOME10", "DOUBLE11", "618SALE", "VIP20", "SPRING15", "FREESHIP")
STATUS = tuple(S.ORDER_STATUS_WEIGHTS)
# Id of the product-affinity random stream; persons._STREAMS holds 1-8 for the modules.
AFFINITY_STREAM = 9


def product_category_index() -> np.ndarray:
    """Category index (into CATEGORIES) of each product, in product_i order."""
    return np.arange(S.N_PRODUCTS) % len(CATEGORIES)


@dataclass(frozen=True)
class Affinity:
    """Each person's preferred categories and the product CDF of every preference profile."""

    first: np.ndarray  # (n,) category index
    second: np.ndarray  # (n,) category index, -1 for persons with one preferred category
    cdf: np.ndarray  # (n_categories**2, N_PRODUCTS); row first * n_categories + second-or-first

    def profile(self, person: np.ndarray) -> np.ndarray:
        """CDF row of each person index."""
        second = np.where(self.second[person] >= 0, self.second[person], self.first[person])
        return self.first[person] * len(CATEGORIES) + second

    def draw(self, uniform: np.ndarray, person: np.ndarray) -> np.ndarray:
        """Product index for each uniform draw in [0, 1) of a person (inverse CDF).

        ``rng.choice(n, size, p=p)`` is ``cdf(p).searchsorted(rng.random(size), "right")``, so
        with ``PREFERRED_CATEGORY_SHARE = 0`` this returns exactly what that call returned.
        """
        profile = self.profile(person)
        product = np.empty(len(uniform), dtype=np.int64)
        for row in np.unique(profile):
            rows = profile == row
            product[rows] = self.cdf[row].searchsorted(uniform[rows], side="right")
        return product


def product_affinity(seed: int, n: int, popularity: np.ndarray) -> Affinity:
    """Preferred categories of persons ``0..n-1`` from the affinity stream, and the CDFs."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, AFFINITY_STREAM])))
    n_cat = len(CATEGORIES)
    first = rng.integers(0, n_cat, n)
    two = rng.random(n) < S.TWO_PREFERRED_CATEGORIES_SHARE
    second = np.where(two, (first + rng.integers(1, n_cat, n)) % n_cat, -1)
    category = product_category_index()
    share = S.PREFERRED_CATEGORY_SHARE
    cdf = np.empty((n_cat * n_cat, S.N_PRODUCTS))
    for a in range(n_cat):
        for b in range(n_cat):
            preferred = popularity * ((category == a) | (category == b))
            weights = (1 - share) * popularity + share * preferred / preferred.sum()
            row = weights.cumsum()
            cdf[a * n_cat + b] = row / row[-1]
    return Affinity(first=first, second=second, cdf=cdf)


def build_products(con, seed: int) -> None:
    """The catalogue as DuckDB table ``products`` (pidx order, popularity weights)."""
    rng = rng_for(seed, "orders")
    cats = list(CATEGORIES)
    cat = product_category_index()
    noun = rng.integers(0, 1000, S.N_PRODUCTS)
    adj = rng.integers(0, len(ADJECTIVES), S.N_PRODUCTS)
    low = np.array([CATEGORIES[c][1][0] for c in cats])[cat]
    high = np.array([CATEGORIES[c][1][1] for c in cats])[cat]
    price = np.round(low + rng.beta(1.5, 4, S.N_PRODUCTS) * (high - low)).astype(np.int64)
    popularity = 1.0 / (1 + rng.permutation(S.N_PRODUCTS)) ** 0.8  # Zipf-like
    nouns_flat = [n for c in cats for n in CATEGORIES[c][0]]
    noun_offset = np.cumsum([0] + [len(CATEGORIES[c][0]) for c in cats])[:-1]
    noun_count = np.array([len(CATEGORIES[c][0]) for c in cats])
    noun_i = noun_offset[cat] + noun % noun_count[cat]
    table = pa.table(
        {
            "product_i": np.arange(S.N_PRODUCTS),
            "cat_i": cat,
            "adj_i": adj,
            "noun_i": noun_i,
            "price_cny": price * 100 - 1,  # cents: 199 -> 198.99 (retail .99 pricing)
            "popularity": popularity / popularity.sum(),
        }
    )
    con.register("_products", table)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE products AS
        SELECT product_i, 'SKU-' || lpad((10007 + product_i * 37)::VARCHAR, 5, '0') AS sku,
               {ids.sql_list(ADJECTIVES)}[adj_i + 1] || ' '
                   || {ids.sql_list(nouns_flat)}[noun_i + 1] AS product_name,
               {ids.sql_list(cats)}[cat_i + 1] AS category, price_cny, popularity
        FROM _products ORDER BY product_i
        """
    )
    con.unregister("_products")


def generate_orders(out: Output, people: People, seed: int) -> None:
    """Write ``orders/orders_*.parquet`` and ``orders/order_lines_*.parquet``; leave the DuckDB
    table ``orders_all`` (first version of each order, with ``pidx``) for the events."""
    con = out.con
    rng = rng_for(seed, "orders")
    build_products(con, seed)
    w = people.window
    n = people.n

    # How many orders each person places each month: Poisson in the month's activity.
    scale = S.ORDERS_PER_PERSON_YEAR / 12 / max(float(people.activity.mean()), 1e-9)
    month_share = (w.month_ends - w.month_starts) / (30.44 * 86400)
    counts = rng.poisson(people.activity * scale * month_share[None, :])
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    o_person = cell // w.n_months
    o_month = cell % w.n_months
    n_orders = len(o_person)
    created = w.uniform_in_month(rng, o_month)
    sort = np.lexsort((o_person, created))
    o_person, o_month, created = o_person[sort], o_month[sort], created[sort]

    # Buyer: a CRM account (sometimes the duplicate one) or a guest checkout.
    recs = con.sql("SELECT rec, pidx, is_dup FROM crm_records ORDER BY rec").fetchnumpy()
    primary = np.full(n, -1, dtype=np.int64)
    second = np.full(n, -1, dtype=np.int64)
    rec_pidx, rec_dup, rec_i = recs["pidx"], recs["is_dup"], recs["rec"]
    primary[rec_pidx[~rec_dup]] = rec_i[~rec_dup]
    second[rec_pidx[rec_dup]] = rec_i[rec_dup]
    rec = primary[o_person]
    use_second = (second[o_person] >= 0) & (rng.random(n_orders) < 0.3)
    rec = np.where(use_second, second[o_person], rec)
    guest = (rec < 0) | (rng.random(n_orders) < S.GUEST_ORDER_SHARE_OF_MEMBERS)
    rec = np.where(guest, -1, rec)

    country = people.country[o_person]
    cn = country == "CN"
    channel = np.where(
        cn,
        ids.draw(rng, n_orders, CHANNEL_WEIGHTS["CN"]),
        ids.draw(rng, n_orders, CHANNEL_WEIGHTS["other"]),
    )
    online = channel != 0
    # Guests leave an email online, a phone in store / mini-program; some leave both or none.
    contact = np.where(
        online,
        ids.draw(rng, n_orders, (0.7, 0.1, 0.17, 0.03)),
        ids.draw(rng, n_orders, (0.1, 0.7, 0.15, 0.05)),
    )
    status = ids.draw(rng, n_orders, tuple(S.ORDER_STATUS_WEIGHTS.values()))
    delay_days = np.select(
        [status == 0, status == 1, status == 2, status == 3, status == 4],
        [
            rng.uniform(1, 8, n_orders),
            rng.uniform(0.5, 3, n_orders),
            np.zeros(n_orders),
            rng.uniform(0, 1, n_orders),
            rng.uniform(7, 30, n_orders),
        ],
    )
    updated = np.minimum(created + (delay_days * 86400).astype(np.int64), w.end - 1)
    part = o_month // S.ORDER_FILE_MONTHS
    n_parts = int((w.n_months - 1) // S.ORDER_FILE_MONTHS + 1)

    # Lines: 1-5 per order, from the buyer's preferred categories or by popularity (see
    # product_affinity), a few negative quantities.
    products = con.sql("SELECT popularity, price_cny FROM products ORDER BY product_i")
    prod = products.fetchnumpy()
    n_lines = 1 + ids.draw(rng, n_orders, S.ORDER_LINES_WEIGHTS).astype(np.int64)
    l_order = np.repeat(np.arange(n_orders), n_lines)
    l_no = np.arange(len(l_order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    affinity = product_affinity(seed, n, prod["popularity"])
    product = affinity.draw(rng.random(len(l_order)), o_person[l_order])
    qty = 1 + ids.draw(rng, len(l_order), (0.75, 0.18, 0.05, 0.015, 0.005)).astype(np.int64)
    neg = rng.choice(len(l_order), size=S.mess_count(S.NEGATIVE_QTY, len(l_order)), replace=False)
    qty[neg] = -qty[neg]
    currency = np.array([CURRENCY[c] for c in COUNTRIES])[_country_index(country)]
    fx = np.array([CNY_PER_UNIT[CURRENCY[c]] for c in COUNTRIES])[_country_index(country)]
    # Local prices end in .99 (CNY prices are whole yuan minus a fen, i.e. also .99).
    unit = np.maximum(np.round(prod["price_cny"][product] / fx[l_order] / 100), 1) * 100 - 1
    unit = unit.astype(np.int64)
    line_cents = unit * qty
    total = np.add.reduceat(line_cents, np.cumsum(n_lines) - n_lines)

    coupon = np.where(
        rng.random(n_orders) < S.COUPON_SHARE, rng.integers(0, len(COUPONS), n_orders), -1
    )
    # Re-exports: shipped/pending orders completed later, exported again in the next part.
    reexport = np.flatnonzero(
        np.isin(status, [1, 2])
        & (part < n_parts - 1)
        & (rng.random(n_orders) < S.ORDER_STATUS_UPDATE_SHARE)
    )
    next_start = w.month_starts[
        np.minimum((part[reexport] + 1) * S.ORDER_FILE_MONTHS, w.n_months - 1)
    ]
    re_updated = np.maximum(next_start, updated[reexport]) + rng.integers(
        60, 7 * 86400, len(reexport)
    )
    re_updated = np.minimum(re_updated, w.end - 1)

    # The mini-program's buyer is a WeChat user: the order carries the unionid of a follower
    # whose record shows one (the same accounts generate_wechat writes later).
    accounts = draw_follower_accounts(rng_for(seed, "wechat"), people)
    follower_of = np.full(n, -1, dtype=np.int64)
    follower_of[accounts.pidx[accounts.has_union]] = np.flatnonzero(accounts.has_union)
    o_follower = follower_of[o_person]
    with_unionid = (channel == MINI_PROGRAM) & (o_follower >= 0)
    unionid = accounts.unionid.take(
        pa.array(np.where(with_unionid, o_follower, 0), mask=~with_unionid)
    )

    row_order = np.r_[np.arange(n_orders), reexport]
    orders = pa.table(
        {
            "o": row_order,
            "version": np.r_[np.ones(n_orders, np.int8), np.full(len(reexport), 2, np.int8)],
            "pidx": o_person[row_order],
            "rec": rec[row_order],
            "contact": contact[row_order],
            "email_style": ids.draw(rng, n_orders, (0.8, 0.1, 0.05, 0.03, 0.02))[row_order],
            "phone_style": rng.integers(0, 60, n_orders)[row_order],
            "channel_i": channel[row_order],
            "store_i": rng.integers(0, 5, n_orders)[row_order],
            "status_i": np.r_[status, np.zeros(len(reexport), status.dtype)],
            "currency": currency[row_order],
            "total_cents": total[row_order],
            "created": created[row_order],
            "updated": np.r_[updated, re_updated],
            "coupon_i": coupon[row_order],
            "part": np.r_[part, part[reexport] + 1],
            "wechat_unionid": unionid.take(row_order),
        }
    )
    lines = pa.table(
        {
            "o": l_order,
            "line_no": l_no,
            "product_i": product,
            "qty": qty,
            "unit_cents": unit,
            "negative": np.isin(np.arange(len(l_order)), neg),
        }
    )
    con.register("_orders", orders)
    con.register("_lines", lines)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE order_rows AS
        SELECT r.*, p.person_id, p.country, p.city_i,
            'O' || (100000001 + r.o) AS order_id,
            c.customer_id,
            CASE WHEN r.rec < 0 AND r.contact IN (0, 2)
                 THEN trim({ids.email_sql("p.email", "r.email_style")}) END AS guest_email,
            CASE WHEN r.rec < 0 AND r.contact IN (1, 2)
                 THEN {ids.phone_sql("p.country", "p.phone_nat", "r.phone_style")} END
                AS guest_phone,
            {ids.sql_list(CHANNELS)}[r.channel_i + 1] AS channel,
            CASE WHEN r.channel_i = 0
                 THEN 'ST-' || p.country || '-'
                     || lpad((p.city_i * 10 + r.store_i)::VARCHAR, 3, '0')
                 END AS store_id,
            {ids.sql_list(STATUS)}[r.status_i + 1] AS status
        FROM _orders r JOIN persons p USING (pidx)
        LEFT JOIN crm_records c ON c.rec = r.rec
        ORDER BY r.part, r.version, r.o
        """
    )
    con.execute(
        "CREATE OR REPLACE TABLE orders_all AS SELECT * FROM order_rows WHERE version = 1 "
        "ORDER BY o"
    )
    con.unregister("_orders")
    labels = w.month_labels
    for k in range(n_parts):
        label = labels[k * S.ORDER_FILE_MONTHS]
        result = con.sql(
            f"""
            SELECT order_id, customer_id, guest_email, guest_phone, wechat_unionid, channel,
                store_id, status, currency,
                (total_cents::DECIMAL(38, 0) / 100)::DECIMAL(18, 2) AS total_amount,
                to_timestamp(created) AS created_at, to_timestamp(updated) AS updated_at,
                {ids.sql_list(COUPONS)}[coupon_i + 1] AS coupon_code,
                order_id AS record_key, person_id,
                CASE WHEN version = 2 THEN 'update' END AS issue
            FROM order_rows WHERE part = {k} ORDER BY version, o
            """
        ).to_arrow_table()
        out.write_parquet("orders", "orders", f"orders_{label}.parquet", result)
        result = con.sql(
            f"""
            SELECT o.order_id || '-' || l.line_no AS line_id, o.order_id, p.sku,
                p.product_name, p.category, l.qty::BIGINT AS qty,
                (l.unit_cents::DECIMAL(38, 0) / 100)::DECIMAL(18, 2) AS unit_price,
                o.currency,
                o.order_id || '-' || l.line_no AS record_key, o.person_id,
                CAST(NULL AS VARCHAR) AS issue
            FROM _lines l JOIN orders_all o USING (o) JOIN products p USING (product_i)
            WHERE o.part = {k} ORDER BY l.o, l.line_no
            """
        ).to_arrow_table()
        out.write_parquet("orders", "order_lines", f"order_lines_{label}.parquet", result)
    con.unregister("_lines")
    out.note(
        "orders",
        "orders",
        orders=int(n_orders),
        status_updates=len(reexport),
        guest_orders=int(guest.sum()),
        guest_orders_without_contact=int((guest & (contact == 3)).sum()),
        orders_with_unionid=int(with_unionid.sum()),
        unmapped_columns=["coupon_code"],
    )
    out.note("orders", "order_lines", negative_quantities=len(neg), lines=len(l_order))


def _country_index(country: np.ndarray) -> np.ndarray:
    """Index of each ISO code in COUNTRIES (vectorised)."""
    order = np.argsort(np.array(COUNTRIES))
    return order[np.searchsorted(np.array(COUNTRIES)[order], country)]
