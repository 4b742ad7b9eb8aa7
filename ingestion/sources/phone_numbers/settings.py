"""Constants of the phone-number reference source."""

from pathlib import Path

# Where the table lives: dlt dataset (warehouse schema) `reference`, dbt source `reference`.
DATASET_NAME = "reference"
TABLE_NAME = "phone_numbers"
PIPELINE_NAME = "cdp_reference_phone_numbers"

# The standard fields read from the raw tables (ingestion/kinds.py).
PHONE_FIELD = "phone"
COUNTRY_FIELD = "country"
# JSON fields with a phone under a key: Segment's reserved identify trait `phone` (events kind).
# These records carry no country field, so they are parsed in the default region.
JSON_PHONE_KEYS = {"traits": "phone"}

# A phone made only of these is blank: the characters the dbt macro cdp_squish removes (RE2's \s,
# no-break, zero-width, Unicode and ideographic spaces), so staging calls it `missing` itself.
BLANK_PATTERN = r"[\s\x{00a0}\x{200b}\x{2000}-\x{200a}\x{202f}\x{205f}\x{feff}\x{3000}]*"

# The dbt seed that maps country aliases (lower(trim(alias))) onto ISO 3166-1 alpha-2 codes:
# the same lookup staging uses for `country_code`, so both agree on what a country means.
COUNTRY_CODES_SEED = (
    Path(__file__).resolve().parents[3] / "dbt_project" / "seeds" / "country_codes.csv"
)

# Pairs parsed per Arrow table handed to dlt (and per task sent to a worker process).
CHUNK_ROWS = 50_000
# Below this many pairs, starting worker processes (~1 s each) costs more than it saves.
PARALLEL_MIN_ROWS = 100_000

# invalid_reason values, besides the lowercase names of phonenumbers.ValidationResult
# (too_short, too_long, invalid_length, invalid_country_code).
REASON_UNPARSEABLE = "unparseable"
REASON_INVALID_NUMBER = "invalid_number"
REASON_LOCAL_ONLY = "local_only"
