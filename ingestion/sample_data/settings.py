"""Rates and constants of the sample data generator, in one place so the story is easy to tune.

Every rate is per record of the table it applies to unless said otherwise. Counts of injected mess
are ``max(minimum, round(rate * n))`` (see :func:`mess_count`) so that even a tiny run contains
every kind of mess the loader and the staging models must handle.
"""

from __future__ import annotations

from datetime import date

# --- window ---------------------------------------------------------------------------------
DEFAULT_END_DATE = date(2026, 11, 30)
WINDOW_MONTHS = 12  # default window: the 12 calendar months ending with the end date's month
LOCAL_UTC_OFFSET_S = 8 * 3600  # Asia/Shanghai has had no DST since 1991: local = UTC+8 always
CRM_HISTORY_START = date(2018, 1, 1)  # CRM accounts were opened from this date on

# --- persons --------------------------------------------------------------------------------
# Share of persons per country (ISO 3166 alpha-2; the UK is GB). Mainland China dominates.
COUNTRY_WEIGHTS: dict[str, float] = {
    "CN": 0.70,
    "US": 0.07,
    "GB": 0.06,
    "HK": 0.06,
    "DE": 0.04,
    "FR": 0.03,
    "SG": 0.04,
}
# Probability that a person of the country carries a Chinese name (diaspora elsewhere).
CHINESE_NAME_SHARE: dict[str, float] = {
    "CN": 1.0,
    "HK": 0.92,
    "SG": 0.75,
    "US": 0.08,
    "GB": 0.06,
    "DE": 0.03,
    "FR": 0.03,
}
HOUSEHOLD_PERSON_SHARE = 0.05  # share of persons living in a multi-person household
HOUSEHOLD_SIZES = (2, 3, 4)
HOUSEHOLD_SIZE_WEIGHTS = (0.55, 0.30, 0.15)
# Latent engagement: lognormal with mean 1; sigma sets how unequal customers are.
ENGAGEMENT_SIGMA = 0.9
# Month-to-month activity: AR(1) on the log scale, so recent activity predicts next month's.
ACTIVITY_SIGMA = 0.6
ACTIVITY_RHO = 0.7

# --- CRM ------------------------------------------------------------------------------------
CRM_COVERAGE = 0.80  # share of persons with a CRM account
CRM_DUPLICATE_SHARE = 0.03  # share of persons (all persons) with a second, duplicate account
CRM_FULL_EXPORT_DAYS_BEFORE_END = 45  # full export date = end - 45 days
CRM_DELTA_EXPORT_DAYS_BEFORE_END = 15  # delta export date = end - 15 days
CRM_DELTA_UPDATE_SHARE = 0.08  # share of full-export records changed again before the delta
CRM_EMAIL_EMPTY = 0.07
CRM_PHONE_EMPTY = 0.07
CRM_JUNK_EMAIL = 0.006
CRM_JUNK_PHONE = 0.006
CRM_BIRTH_DATE_EMPTY = 0.08
CRM_IMPOSSIBLE_BIRTH_DATE = 0.004
CRM_MISSING_ID = (0.001, 3)  # (rate, minimum): rows with an empty CustomerID
CRM_BAD_FIELD_COUNT = (0.0005, 2)  # (rate, minimum): rows with too many / too few fields
CRM_LOYALTY_SHARE = 0.6
JUNK_EMAILS = ("test@test.com", "noemail@example.com", "null", "N/A")
JUNK_PHONES = ("00000000000", "13888888888", "null", "N/A")
IMPOSSIBLE_BIRTH_DATES = ("1990-02-30", "2001-13-01", "1985-04-31", "1979-02-29")

# --- orders ---------------------------------------------------------------------------------
ORDERS_PER_PERSON_YEAR = 1.5
GUEST_ORDER_SHARE_OF_MEMBERS = 0.03  # members sometimes check out as guests
ORDER_LINES_WEIGHTS = (0.45, 0.25, 0.15, 0.10, 0.05)  # 1..5 lines per order
NEGATIVE_QTY = (0.002, 3)
COUPON_SHARE = 0.15
ORDER_STATUS_WEIGHTS = {
    "completed": 0.81,
    "shipped": 0.05,
    "pending": 0.03,
    "cancelled": 0.05,
    "refunded": 0.06,
}
ORDER_STATUS_UPDATE_SHARE = 0.5  # share of shipped/pending orders re-exported as completed
ORDER_FILE_MONTHS = 3  # one orders/order_lines parquet part per 3 months
N_PRODUCTS = 300
# Product affinity: each person prefers 1 or 2 product categories (a stream of its own, so the
# other streams draw the same values). This share of a person's order lines and product views
# comes from their preferred categories (by popularity within them), the rest from the whole
# catalogue by popularity; 0 gives the catalogue popularity alone. With 0.6 the hold-out hit
# rate of item-to-item recommendations beat popularity by under 2 points at 3,000 persons.
PREFERRED_CATEGORY_SHARE = 0.75
TWO_PREFERRED_CATEGORIES_SHARE = 0.4  # share of persons with two preferred categories

# --- events ---------------------------------------------------------------------------------
DIGITAL_SHARE = 0.85  # share of persons with at least one device
DEVICES_PER_PERSON_WEIGHTS = (0.55, 0.30, 0.15)  # 1, 2 or 3 own devices
BROWSE_SESSIONS_PER_PERSON_YEAR = 2.3
EXTRA_EVENTS_PER_SESSION = 2.5  # Poisson mean of events after the landing page
TABLET_SESSION_SHARE = 0.35  # household members use the family tablet for this share of sessions
DEVICE_IDENTIFIES_SHARE = 0.85  # a CRM member's device eventually identifies
DEVICE_ANON_IDENTIFY_SHARE = 0.3  # non-members identify with traits only (newsletter form)
EVENT_DUPLICATES = (0.01, 3)
EVENT_DUPLICATE_NEXT_FILE_SHARE = 0.3  # of duplicates, resent in the following month's file
EVENT_LATE = (0.02, 3)
EVENT_BAD_JSON = (0.00005, 3)
EVENT_MISSING_TYPE = (0.00005, 2)
EVENT_BAD_TIMESTAMP = (0.00005, 2)
BAD_TIMESTAMPS = ("2026-13-45T10:00:00Z", "not-a-date", "", "31/02/2026 25:61")

# --- email ----------------------------------------------------------------------------------
CAMPAIGNS_PER_MONTH = 2
CAMPAIGN_AUDIENCE_SHARE = 0.35
EMAIL_BOUNCE = 0.015
EMAIL_UNSUBSCRIBE_PER_SEND = 0.004  # scaled up for disengaged recipients

# --- service --------------------------------------------------------------------------------
TICKETS_PER_PERSON_YEAR = 0.1
TICKET_REEXPORT_SHARE = 0.1  # tickets closed later and exported again in the next month's file

# --- wechat ---------------------------------------------------------------------------------
WECHAT_FOLLOWER_SHARE_CN = 0.40
WECHAT_UNIONID_SHARE = 0.85
WECHAT_BOUND_PHONE_SHARE = 0.30
WECHAT_INTERACTIONS_PER_FOLLOWER_MONTH = 0.6


def mess_count(spec: tuple[float, int], n: int) -> int:
    """How many records of ``n`` get a kind of mess: the rate, but at least the minimum."""
    rate, minimum = spec
    return min(n, max(minimum, round(rate * n)))
