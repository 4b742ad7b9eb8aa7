"""The true people behind all records: names, addresses, contact points and latent engagement.

Everything here is fake and deterministic. Person attributes are drawn as numpy arrays and stored
as the DuckDB table ``persons`` (one row per person, ordered by ``pidx``) that the source modules
join to. Contact points are unique per person (affine bijections of a per-country counter), except
that households share one phone number, so any shared identifier in the output is deliberate.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pyarrow as pa

from ingestion.sample_data import settings as S

COUNTRIES = tuple(S.COUNTRY_WEIGHTS)

# (surname, pinyin) — the most common Chinese surnames.
CN_SURNAMES = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("许", "Xu"),
    ("韩", "Han"),
    ("冯", "Feng"),
    ("邓", "Deng"),
    ("曹", "Cao"),
    ("彭", "Peng"),
    ("曾", "Zeng"),
    ("肖", "Xiao"),
    ("田", "Tian"),
    ("董", "Dong"),
    ("潘", "Pan"),
    ("袁", "Yuan"),
    ("蔡", "Cai"),
    ("蒋", "Jiang"),
    ("余", "Yu"),
    ("于", "Yu"),
    ("杜", "Du"),
    ("叶", "Ye"),
    ("程", "Cheng"),
    ("魏", "Wei"),
    ("苏", "Su"),
    ("吕", "Lyu"),
    ("丁", "Ding"),
    ("任", "Ren"),
    ("沈", "Shen"),
    ("姚", "Yao"),
    ("卢", "Lu"),
    ("钟", "Zhong"),
    ("姜", "Jiang"),
)
# (character, pinyin) for given names; index < 40 lean female, >= 40 lean male.
CN_GIVEN = (
    ("静", "jing"),
    ("丽", "li"),
    ("敏", "min"),
    ("燕", "yan"),
    ("艳", "yan"),
    ("娟", "juan"),
    ("霞", "xia"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("慧", "hui"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀", "xiu"),
    ("英", "ying"),
    ("玲", "ling"),
    ("萍", "ping"),
    ("红", "hong"),
    ("梅", "mei"),
    ("琳", "lin"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("佳", "jia"),
    ("晨", "chen"),
    ("悦", "yue"),
    ("雨", "yu"),
    ("思", "si"),
    ("梦", "meng"),
    ("诗", "shi"),
    ("晓", "xiao"),
    ("月", "yue"),
    ("彤", "tong"),
    ("琪", "qi"),
    ("瑶", "yao"),
    ("璐", "lu"),
    ("楠", "nan"),
    ("茜", "qian"),
    ("薇", "wei"),
    ("岚", "lan"),
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("刚", "gang"),
    ("平", "ping"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("华", "hua"),
    ("飞", "fei"),
    ("鑫", "xin"),
    ("波", "bo"),
    ("斌", "bin"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("健", "jian"),
    ("俊", "jun"),
    ("帆", "fan"),
    ("帅", "shuai"),
    ("旭", "xu"),
    ("宁", "ning"),
    ("龙", "long"),
    ("林", "lin"),
    ("海", "hai"),
    ("峰", "feng"),
    ("建", "jian"),
    ("志", "zhi"),
    ("文", "wen"),
    ("博", "bo"),
    ("子", "zi"),
    ("轩", "xuan"),
    ("天", "tian"),
    ("嘉", "jia"),
)
N_GIVEN_FEMALE = 40
# Latin first names by (language, gender) and surnames by language; English covers US/GB/SG.
LATIN_FIRST = {
    ("en", 0): (
        "Emma",
        "Olivia",
        "Sophia",
        "Grace",
        "Chloe",
        "Emily",
        "Hannah",
        "Lucy",
        "Amelia",
        "Isla",
        "Mia",
        "Ava",
        "Charlotte",
        "Ella",
        "Ruby",
        "Zoe",
    ),
    ("en", 1): (
        "James",
        "Oliver",
        "Jack",
        "Harry",
        "William",
        "Noah",
        "Thomas",
        "George",
        "Daniel",
        "Michael",
        "Ethan",
        "Lucas",
        "Samuel",
        "Henry",
        "Ryan",
        "Adam",
    ),
    ("de", 0): (
        "Anna",
        "Lena",
        "Leonie",
        "Marie",
        "Sophie",
        "Lea",
        "Julia",
        "Katharina",
        "Laura",
        "Sarah",
        "Johanna",
        "Greta",
    ),
    ("de", 1): (
        "Lukas",
        "Jonas",
        "Felix",
        "Leon",
        "Paul",
        "Maximilian",
        "Tobias",
        "Florian",
        "Jan",
        "Moritz",
        "Sebastian",
        "Niklas",
    ),
    ("fr", 0): (
        "Camille",
        "Léa",
        "Manon",
        "Chloé",
        "Inès",
        "Juliette",
        "Louise",
        "Élise",
        "Margaux",
        "Clémence",
        "Amélie",
        "Océane",
    ),
    ("fr", 1): (
        "Louis",
        "Gabriel",
        "Hugo",
        "Arthur",
        "Jules",
        "Raphaël",
        "Théo",
        "Mathis",
        "Antoine",
        "Julien",
        "Étienne",
        "Baptiste",
    ),
}
LATIN_LAST = {
    "en": (
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Taylor",
        "Davies",
        "Wilson",
        "Evans",
        "Thomas",
        "Roberts",
        "Walker",
        "Wright",
        "Robinson",
        "Thompson",
        "White",
        "Hughes",
        "Edwards",
        "Green",
        "Hall",
        "Wood",
        "Harris",
        "Clarke",
        "Jackson",
        "O'Brien",
        "McDonald",
    ),
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
        "Schröder",
        "Neumann",
    ),
    "fr": (
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Simon",
        "Laurent",
        "Lefèvre",
        "Michel",
        "Garcia",
        "Fournier",
    ),
}
LANGUAGE = {"US": "en", "GB": "en", "SG": "en", "HK": "en", "DE": "de", "FR": "fr", "CN": "en"}

# (country, local city, latin city, province/state, postal prefix, phone prefix hint, weight)
CITIES = (
    ("CN", "上海", "Shanghai", "上海市", "200", "", 0.16),
    ("CN", "北京", "Beijing", "北京市", "100", "", 0.14),
    ("CN", "广州", "Guangzhou", "广东省", "510", "", 0.09),
    ("CN", "深圳", "Shenzhen", "广东省", "518", "", 0.09),
    ("CN", "杭州", "Hangzhou", "浙江省", "310", "", 0.07),
    ("CN", "南京", "Nanjing", "江苏省", "210", "", 0.06),
    ("CN", "苏州", "Suzhou", "江苏省", "215", "", 0.05),
    ("CN", "成都", "Chengdu", "四川省", "610", "", 0.07),
    ("CN", "武汉", "Wuhan", "湖北省", "430", "", 0.06),
    ("CN", "重庆", "Chongqing", "重庆市", "400", "", 0.05),
    ("CN", "西安", "Xi'an", "陕西省", "710", "", 0.04),
    ("CN", "天津", "Tianjin", "天津市", "300", "", 0.04),
    ("CN", "长沙", "Changsha", "湖南省", "410", "", 0.03),
    ("CN", "青岛", "Qingdao", "山东省", "266", "", 0.03),
    ("CN", "厦门", "Xiamen", "福建省", "361", "", 0.02),
    ("US", "San Francisco", "San Francisco", "CA", "941", "415", 0.25),
    ("US", "New York", "New York", "NY", "100", "212", 0.30),
    ("US", "Los Angeles", "Los Angeles", "CA", "900", "213", 0.20),
    ("US", "Seattle", "Seattle", "WA", "981", "206", 0.10),
    ("US", "Boston", "Boston", "MA", "021", "617", 0.15),
    ("GB", "London", "London", "England", "", "20", 0.60),
    ("GB", "Manchester", "Manchester", "England", "", "161", 0.20),
    ("GB", "Edinburgh", "Edinburgh", "Scotland", "", "131", 0.20),
    ("HK", "Hong Kong", "Hong Kong", "Hong Kong Island", "", "", 0.40),
    ("HK", "Kowloon", "Kowloon", "Kowloon", "", "", 0.35),
    ("HK", "Sha Tin", "Sha Tin", "New Territories", "", "", 0.25),
    ("DE", "Berlin", "Berlin", "Berlin", "101", "", 0.35),
    ("DE", "München", "Munich", "Bayern", "803", "", 0.30),
    ("DE", "Hamburg", "Hamburg", "Hamburg", "200", "", 0.20),
    ("DE", "Frankfurt am Main", "Frankfurt", "Hessen", "603", "", 0.15),
    ("FR", "Paris", "Paris", "Île-de-France", "750", "", 0.60),
    ("FR", "Lyon", "Lyon", "Auvergne-Rhône-Alpes", "690", "", 0.25),
    ("FR", "Marseille", "Marseille", "Provence-Alpes-Côte d'Azur", "130", "", 0.15),
    ("SG", "Singapore", "Singapore", "Singapore", "", "", 1.0),
)
CN_ROADS = (
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "南京路",
    "长江路",
    "和平路",
    "新华路",
    "文化路",
    "青年路",
    "淮海路",
    "东风路",
    "延安路",
    "光明路",
    "学院路",
    "滨江大道",
)
EN_STREETS = (
    "Main St",
    "Oak Ave",
    "Park Road",
    "High Street",
    "Church Lane",
    "Queen's Road",
    "Station Road",
    "Market Street",
    "Elm Street",
    "Victoria Road",
)
DE_STREETS = ("Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee")
FR_STREETS = (
    "rue de la Paix",
    "avenue Victor Hugo",
    "rue Pasteur",
    "boulevard Voltaire",
    "rue des Lilas",
)
EMAIL_DOMAINS = {
    "CN": (
        ("qq.com", 0.35),
        ("163.com", 0.25),
        ("126.com", 0.1),
        ("sina.com", 0.05),
        ("foxmail.com", 0.05),
        ("gmail.com", 0.1),
        ("outlook.com", 0.05),
        ("icloud.com", 0.05),
    ),
    "default": (
        ("gmail.com", 0.45),
        ("outlook.com", 0.2),
        ("yahoo.com", 0.15),
        ("icloud.com", 0.2),
    ),
    "GB": (("gmail.com", 0.4), ("hotmail.co.uk", 0.25), ("outlook.com", 0.15), ("icloud.com", 0.2)),
    "DE": (("gmx.de", 0.35), ("web.de", 0.3), ("gmail.com", 0.35)),
    "FR": (("orange.fr", 0.3), ("free.fr", 0.2), ("gmail.com", 0.5)),
}
# National significant numbers: (prefixes, random digits after the prefix) per country.
PHONE_PLANS: dict[str, tuple[tuple[str, ...], int]] = {
    "CN": (
        (
            "130",
            "131",
            "132",
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "152",
            "155",
            "156",
            "157",
            "158",
            "159",
            "176",
            "177",
            "180",
            "181",
            "182",
            "185",
            "186",
            "187",
            "188",
            "189",
            "198",
            "199",
        ),
        8,
    ),
    "US": ((), 7),  # area code of the city + 7 digits (first digit 2-9)
    "GB": (("7700", "7701", "7712", "7723", "7834", "7911", "7956"), 6),  # mobiles
    "HK": (("5", "6", "9"), 7),
    "DE": (("151", "152", "157", "160", "162", "170", "171", "176", "179"), 8),
    "FR": (("6", "7"), 8),
    "SG": (("8", "9"), 7),
}
COUNTRY_CALLING_CODE = {
    "CN": "86",
    "US": "1",
    "GB": "44",
    "HK": "852",
    "DE": "49",
    "FR": "33",
    "SG": "65",
}
GB_LANDLINE_SHARE = 0.3  # the rest of UK persons give a mobile number

# Stable stream ids per module: adding a module never changes another module's draws.
_STREAMS = {
    "persons": 1,
    "crm": 2,
    "orders": 3,
    "events": 4,
    "email": 5,
    "service": 6,
    "wechat": 7,
    "identifiers": 8,
}


def rng_for(seed: int, stream: str) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _STREAMS[stream]])))


def stable_code(text: str) -> int:
    """A process-independent hash (Python's ``hash`` is randomised per process)."""
    return zlib.crc32(text.encode())


def epoch_s(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Window:
    """The generated period, as whole-second UTC epochs, and its calendar months."""

    start: int  # inclusive
    end: int  # exclusive (midnight after the end date)
    month_starts: np.ndarray  # epoch seconds of each month's (clipped) start
    month_ends: np.ndarray  # epoch seconds of each month's (clipped) end, exclusive
    month_labels: tuple[str, ...]  # "2026-06"

    @classmethod
    def build(cls, start_date: date, end_date: date) -> Window:
        if end_date < start_date:
            raise ValueError("end date is before start date")
        starts, ends, labels = [], [], []
        y, m = start_date.year, start_date.month
        while (y, m) <= (end_date.year, end_date.month):
            first = date(y, m, 1)
            y2, m2 = (y + 1, 1) if m == 12 else (y, m + 1)
            nxt = date(y2, m2, 1)
            starts.append(epoch_s(max(first, start_date)))
            ends.append(min(epoch_s(nxt), epoch_s(end_date) + 86400))
            labels.append(f"{y:04d}-{m:02d}")
            y, m = y2, m2
        return cls(
            start=epoch_s(start_date),
            end=epoch_s(end_date) + 86400,
            month_starts=np.array(starts, dtype=np.int64),
            month_ends=np.array(ends, dtype=np.int64),
            month_labels=tuple(labels),
        )

    @property
    def n_months(self) -> int:
        return len(self.month_labels)

    def month_of(self, ts: np.ndarray) -> np.ndarray:
        """Month index of epoch seconds (clipped into the window)."""
        idx = np.searchsorted(self.month_starts, ts, side="right") - 1
        return np.clip(idx, 0, self.n_months - 1)

    def uniform_in_month(self, rng: np.random.Generator, month: np.ndarray) -> np.ndarray:
        span = self.month_ends[month] - self.month_starts[month]
        return self.month_starts[month] + (rng.random(len(month)) * span).astype(np.int64)


@dataclass
class People:
    """The numpy-side view of the persons that other modules need for vectorised draws."""

    n: int
    country: np.ndarray  # str codes
    chinese: np.ndarray  # bool
    engagement: np.ndarray  # float, mean ~1
    activity: np.ndarray  # (n, n_months) float: engagement x monthly activity
    household: np.ndarray  # int, -1 = none
    window: Window


def _affine_unique(k: np.ndarray, modulus: int, rng: np.random.Generator) -> np.ndarray:
    """A bijection of 0..modulus-1 (odd multiplier, not a multiple of 5), so distinct counters
    give distinct numbers: unique fake phone numbers and email tags without any lookups."""
    a = int(rng.integers(1, modulus // 10)) * 10 + int(rng.choice([1, 3, 7, 9]))
    b = int(rng.integers(0, modulus))
    return (k.astype(np.int64) * (a % modulus) + b) % modulus  # no overflow: k, a < 1e10


def _pick(rng: np.random.Generator, options: tuple, n: int, weights=None) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return rng.choice(len(options), size=n, p=p)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0-based counter of each element within its group value, in array order."""
    order = np.argsort(groups, kind="stable")
    sorted_g = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_g[1:] != sorted_g[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(groups)])
    ranks_sorted = np.arange(len(groups)) - np.repeat(starts, counts)
    ranks = np.empty(len(groups), dtype=np.int64)
    ranks[order] = ranks_sorted
    return ranks


def _lookup(values: tuple[str, ...] | list[str], idx: str) -> str:
    """SQL: element ``idx`` (0-based) of a constant list of strings."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + f"][{idx} + 1]"


def generate_persons(con: duckdb.DuckDBPyConnection, n: int, seed: int, window: Window) -> People:
    """Draw ``n`` persons into the DuckDB table ``persons`` and return their numpy view.

    numpy draws every random choice as a number; one DuckDB query turns them into strings
    (string building in numpy is an order of magnitude slower at 1M persons).
    """
    rng = rng_for(seed, "persons")
    pidx = np.arange(n, dtype=np.int64)
    country_i = _pick(rng, COUNTRIES, n, list(S.COUNTRY_WEIGHTS.values()))
    country = np.array(COUNTRIES)[country_i]
    share = np.array([S.CHINESE_NAME_SHARE[c] for c in COUNTRIES])
    chinese = rng.random(n) < share[country_i]
    gender = rng.integers(0, 2, n)  # 0 = female, 1 = male

    # Households: members live with a head person: same country, city, address and phone.
    household = np.full(n, -1, dtype=np.int64)
    head = pidx.copy()
    n_hh_persons = round(n * S.HOUSEHOLD_PERSON_SHARE)
    if n_hh_persons >= 2:
        sizes = np.array(S.HOUSEHOLD_SIZES)[
            _pick(rng, S.HOUSEHOLD_SIZES, n_hh_persons, S.HOUSEHOLD_SIZE_WEIGHTS)
        ]
        sizes = sizes[np.cumsum(sizes) <= n_hh_persons]
        members = rng.choice(n, size=int(sizes.sum()), replace=False)
        household[members] = np.repeat(np.arange(len(sizes)), sizes)
        head[members] = np.repeat(members[np.r_[0, np.cumsum(sizes)[:-1]]], sizes)
        country_i = country_i[head]
        country = country[head]
        chinese = chinese[head]

    # Chinese names: surname + one or two given characters (the first leaning to the gender).
    sur = rng.integers(0, len(CN_SURNAMES), n)
    g1 = np.where(gender == 0, 0, N_GIVEN_FEMALE) + rng.integers(0, N_GIVEN_FEMALE, n)
    g2 = np.where(rng.random(n) < 0.6, rng.integers(0, len(CN_GIVEN), n), len(CN_GIVEN))
    # Latin names from the lists of the country's language (flattened, with offsets).
    first_lists = list(LATIN_FIRST.items())
    first_flat = [name for _, names in first_lists for name in names]
    last_lists = list(LATIN_LAST.items())
    last_flat = [name for _, names in last_lists for name in names]
    lang = np.array([LANGUAGE[c] for c in COUNTRIES])[country_i]
    lat_first = np.zeros(n, dtype=np.int64)
    lat_last = np.zeros(n, dtype=np.int64)
    offset = 0
    for (lg, gd), names in first_lists:
        mask = (lang == lg) & (gender == gd)
        lat_first[mask] = offset + rng.integers(0, len(names), mask.sum())
        offset += len(names)
    offset = 0
    for lg, names in last_lists:
        mask = lang == lg
        lat_last[mask] = offset + rng.integers(0, len(names), mask.sum())
        offset += len(names)

    # Birth dates: adults 18-75 at the end of the window.
    age_days = ((rng.beta(2.2, 3.5, n) * 57 + 18) * 365.25).astype(np.int64)
    birth = (window.end // 86400 - age_days).astype("datetime64[D]")

    # Cities consistent with the country.
    city_country = np.array([c[0] for c in CITIES])
    city = np.empty(n, dtype=np.int64)
    for c in COUNTRIES:
        mask = country == c
        idx = np.flatnonzero(city_country == c)
        w = np.array([CITIES[i][6] for i in idx])
        city[mask] = idx[rng.choice(len(idx), size=mask.sum(), p=w / w.sum())]
    city = city[head]

    # Phones: a prefix (mobile block or area code) + a unique number per country.
    prefix_list: list[str] = sorted(
        {p for plan, _ in PHONE_PLANS.values() for p in plan} | {c[5] for c in CITIES if c[5]}
    )
    prefix_pos = {p: i for i, p in enumerate(prefix_list)}
    k_country = _rank_within(country)
    phone_prefix = np.zeros(n, dtype=np.int64)
    phone_digits = np.zeros(n, dtype=np.int64)
    phone_num = np.zeros(n, dtype=np.int64)
    city_prefix = np.array([prefix_pos.get(c[5], 0) for c in CITIES])
    for c in COUNTRIES:
        mask = country == c
        k = k_country[mask]
        prefixes, digits = PHONE_PLANS[c]
        if c == "US":  # area code of the city + 7 digits not starting with 0 or 1
            phone_prefix[mask] = city_prefix[city[mask]]
            phone_digits[mask] = 7
            phone_num[mask] = 2_000_000 + _affine_unique(k, 8_000_000, rng)
            continue
        pos = np.array([prefix_pos[p] for p in prefixes])
        phone_prefix[mask] = pos[rng.integers(0, len(prefixes), mask.sum())]
        phone_digits[mask] = digits
        phone_num[mask] = _affine_unique(k, 10**digits, rng)
        if c == "GB":  # a share give a landline: 20 + 8 digits (London) or 1x1 + 7 digits
            land = np.flatnonzero(mask)[rng.random(mask.sum()) < GB_LANDLINE_SHARE]
            london = np.array([CITIES[i][5] == "20" for i in city[land]])
            lead = rng.choice([3, 7, 8], len(land))
            phone_prefix[land] = city_prefix[city[land]]
            phone_digits[land] = np.where(london, 8, 7)
            kk = k_country[land]
            phone_num[land] = np.where(
                london,
                _affine_unique(kk, 10**7, rng) + 10**7 * lead,
                _affine_unique(kk, 10**6, rng) + 10**6 * lead,
            )
    phone_prefix, phone_digits, phone_num = phone_prefix[head], phone_digits[head], phone_num[head]

    # Emails: name-based local part made unique by a scrambled tag; a second address for
    # duplicate accounts ("the one I use for shopping").
    domain_list = sorted({d for opts in EMAIL_DOMAINS.values() for d, _ in opts})
    domain = np.zeros(n, dtype=np.int64)
    for c in COUNTRIES:
        mask = country == c
        opts = EMAIL_DOMAINS.get(c, EMAIL_DOMAINS["default"])
        pos = np.array([domain_list.index(d) for d, _ in opts])
        domain[mask] = pos[_pick(rng, tuple(opts), mask.sum(), [w for _, w in opts])]
    alt_domain = np.where(
        country == "CN",
        np.where(
            domain == domain_list.index("163.com"),
            domain_list.index("qq.com"),
            domain_list.index("163.com"),
        ),
        np.where(
            domain == domain_list.index("gmail.com"),
            domain_list.index("outlook.com"),
            domain_list.index("gmail.com"),
        ),
    )

    engagement = rng.lognormal(-(S.ENGAGEMENT_SIGMA**2) / 2, S.ENGAGEMENT_SIGMA, n)
    raw = pa.table(
        {
            "pidx": pidx,
            "head": head,
            "country_i": country_i,
            "chinese": chinese,
            "gender": gender,
            "household": household,
            "sur": sur,
            "g1": g1,
            "g2": g2,
            "lat_first": lat_first,
            "lat_last": lat_last,
            "birth_date": birth,
            "city_i": city,
            "phone_prefix": phone_prefix,
            "phone_digits": phone_digits,
            "phone_num": phone_num,
            "email_style": rng.integers(0, 4, n),
            "email_tag": _affine_unique(pidx, 10**7, rng),
            "alt_tag": _affine_unique(pidx, 10**6, rng),
            "domain": domain,
            "alt_domain": alt_domain,
            "street_no": rng.integers(1, 1500, n)[head],
            "unit": (rng.integers(1, 30, n) * 100 + rng.integers(1, 12, n))[head],
            "road": rng.integers(0, 1000, n)[head],
            "post_num": rng.integers(0, 1000, n)[head],
            "engagement": engagement,
        }
    )
    cn_given = [c for c, _ in CN_GIVEN] + [""]
    cn_given_py = [p for _, p in CN_GIVEN] + [""]
    gb_post = {
        "London": ("SW1A 1AA", "EC1A 1BB", "W1A 0AX", "N1 9GU", "SE1 7PB"),
        "Manchester": ("M1 1AE", "M4 5JD", "M13 9PL"),
        "Edinburgh": ("EH1 1YZ", "EH3 9QA"),
    }
    gb_postal_sql = " ".join(
        f"WHEN '{city_name}' THEN {_lookup(codes, f'post_num % {len(codes)}')}"
        for city_name, codes in gb_post.items()
    )
    con.register("_persons_raw", raw)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE persons AS
        WITH b AS (
            SELECT *,
                {_lookup(COUNTRIES, "country_i")} AS country,
                {_lookup([c for c, _ in CN_SURNAMES], "sur")} AS cn_last,
                {_lookup(cn_given, "g1")} || {_lookup(cn_given, "g2")} AS cn_first,
                {_lookup([p for _, p in CN_SURNAMES], "sur")} AS py_last,
                upper(left({_lookup(cn_given_py, "g1")}, 1))
                    || substr({_lookup(cn_given_py, "g1")}, 2)
                    || {_lookup(cn_given_py, "g2")} AS py_first,
                {_lookup(first_flat, "lat_first")} AS lat_first_s,
                {_lookup(last_flat, "lat_last")} AS lat_last_s,
                {_lookup([c[1] for c in CITIES], "city_i")} AS city,
                {_lookup([c[2] for c in CITIES], "city_i")} AS city_latin,
                {_lookup([c[3] for c in CITIES], "city_i")} AS province,
                {_lookup([c[4] for c in CITIES], "city_i")} AS postal_prefix,
                {_lookup(prefix_list, "phone_prefix")}
                    || lpad(phone_num::VARCHAR, phone_digits::INTEGER, '0') AS phone_nat,
                {_lookup(domain_list, "domain")} AS email_domain,
                {_lookup(domain_list, "alt_domain")} AS alt_domain_s
            FROM _persons_raw
        ), c AS (
            SELECT *,
                CASE WHEN chinese THEN cn_first ELSE lat_first_s END AS first_name,
                CASE WHEN chinese THEN cn_last ELSE lat_last_s END AS last_name,
                CASE WHEN chinese THEN py_first ELSE lat_first_s END AS first_latin,
                CASE WHEN chinese THEN py_last ELSE lat_last_s END AS last_latin,
                lower(replace(strip_accents(CASE WHEN chinese THEN py_first ELSE lat_first_s END),
                              '''', '')) AS fl,
                lower(replace(strip_accents(CASE WHEN chinese THEN py_last ELSE lat_last_s END),
                              '''', '')) AS ll
            FROM b
        )
        SELECT
            pidx,
            'P' || lpad((pidx + 1)::VARCHAR, 7, '0') AS person_id,
            country, chinese, gender, household, head,
            first_name, last_name, first_latin, last_latin,
            CASE WHEN chinese THEN last_name || first_name ELSE first_name || ' ' || last_name
                END AS full_name,
            birth_date, city, city_latin, province, city_i,
            CASE country
                WHEN 'CN' THEN postal_prefix || lpad(post_num::VARCHAR, 3, '0')
                WHEN 'US' THEN postal_prefix || lpad((post_num % 100)::VARCHAR, 2, '0')
                WHEN 'DE' THEN postal_prefix || lpad((post_num % 100)::VARCHAR, 2, '0')
                WHEN 'FR' THEN postal_prefix || lpad((post_num % 20 + 1)::VARCHAR, 2, '0')
                WHEN 'SG' THEN lpad((post_num * 797 % 800000 + 10000)::VARCHAR, 6, '0')
                WHEN 'GB' THEN (CASE city_latin {gb_postal_sql} END)
                ELSE '' END AS postal_code,
            CASE country
                WHEN 'CN' THEN {_lookup(CN_ROADS, f"road % {len(CN_ROADS)}")} || street_no
                    || '号' || (unit // 100) || '栋' || (unit % 100 + 100) || '室'
                WHEN 'GB' THEN 'Flat ' || (unit % 100) || ', ' || street_no || ' '
                    || {_lookup(EN_STREETS, f"road % {len(EN_STREETS)}")}
                WHEN 'HK' THEN 'Flat ' || (unit % 100) || ', Block ' || (unit // 100 % 9 + 1)
                    || ', Nathan Road'
                WHEN 'DE' THEN {_lookup(DE_STREETS, f"road % {len(DE_STREETS)}")} || ' '
                    || street_no
                WHEN 'FR' THEN street_no || ' '
                    || {_lookup(FR_STREETS, f"road % {len(FR_STREETS)}")}
                ELSE street_no || ' ' || {_lookup(EN_STREETS, f"road % {len(EN_STREETS)}")}
                END AS address,
            {_lookup(list(COUNTRY_CALLING_CODE.values()), "country_i")} AS calling_code,
            phone_nat,
            CASE email_style
                WHEN 0 THEN fl || '.' || ll || email_tag
                WHEN 1 THEN ll || fl || email_tag
                WHEN 2 THEN fl || '_' || ll || email_tag
                ELSE left(fl, 1) || ll || email_tag END || '@' || email_domain AS email,
            email_domain,
            ll || left(fl, 1) || alt_tag || '@' || alt_domain_s AS email_alt,
            engagement
        FROM c ORDER BY pidx
        """
    )
    con.unregister("_persons_raw")

    # Month-level activity: AR(1) on the log scale, so recent activity predicts next month's.
    x = np.empty((n, window.n_months))
    x[:, 0] = rng.standard_normal(n)
    shocks = rng.standard_normal((n, window.n_months))
    for t in range(1, window.n_months):  # a loop over months, vectorised over persons
        x[:, t] = S.ACTIVITY_RHO * x[:, t - 1] + np.sqrt(1 - S.ACTIVITY_RHO**2) * shocks[:, t]
    month_factor = np.exp(S.ACTIVITY_SIGMA * x - S.ACTIVITY_SIGMA**2 / 2)
    return People(
        n=n,
        country=country,
        chinese=chinese,
        engagement=engagement,
        activity=engagement[:, None] * month_factor,
        household=household,
        window=window,
    )
