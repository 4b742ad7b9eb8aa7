"""Reference tables written by Python between the raw loads and dbt: ``reference.phone_numbers``.

The asset depends on the raw asset of every table with a phone field; dbt staging models depend on
it through the dbt source ``reference.phone_numbers`` (same asset key).
"""

from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingestion.config import SourcesConfig, load_sources_config
from ingestion.reference import load_phone_numbers
from ingestion.settings import get_settings
from ingestion.sources.phone_numbers import phone_tables
from ingestion.sources.phone_numbers.settings import DATASET_NAME, TABLE_NAME
from orchestration.translators import raw_asset_key

PHONE_NUMBERS_KEY = AssetKey([DATASET_NAME, TABLE_NAME])
UNIQUE_PAIRS_CHECK = "one_row_per_phone_and_country"


def duplicate_pairs(duckdb_path: Path) -> int:
    """(phone_raw, country_raw) pairs held by more than one row: staging would fan out on them."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.execute(
            "select count(*) from (select phone_raw, country_raw from "
            f"{DATASET_NAME}.{TABLE_NAME} group by all having count(*) > 1)"
        ).fetchall()[0][0]


def phone_numbers_summary(duckdb_path: Path) -> dict[str, Any]:
    """Counts over the whole table: rows, valid share, rows per reason and per type (no values)."""
    table = f"{DATASET_NAME}.{TABLE_NAME}"
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows, valid = con.execute(
            f"select count(*), count(*) filter (where is_valid) from {table}"
        ).fetchall()[0]
        reasons = con.execute(
            f"select coalesce(invalid_reason, 'valid'), count(*) from {table} "
            "group by all order by all"
        ).fetchall()
        types = con.execute(
            f"select number_type, count(*) from {table} group by all order by all"
        ).fetchall()
    return {
        "dagster/row_count": rows,
        "valid_share": round(valid / rows, 4) if rows else 0.0,
        "rows_by_invalid_reason": MetadataValue.json(dict(reasons)),
        "rows_by_number_type": MetadataValue.json(dict(types)),
    }


def build_reference_assets(config: SourcesConfig | None = None) -> list[AssetsDefinition]:
    """The phone-number reference asset, downstream of every raw table that has phones."""
    config = config or load_sources_config()
    upstream = [raw_asset_key(t.source_name, t.table) for t in phone_tables(config)]

    @asset(
        key=PHONE_NUMBERS_KEY,
        deps=upstream,
        group_name=DATASET_NAME,
        kinds={"dlt", "duckdb", "python"},
        tags={"cdp/layer": DATASET_NAME},
        metadata={"dagster/table_name": f"{DATASET_NAME}.{TABLE_NAME}"},
        check_specs=[
            AssetCheckSpec(
                UNIQUE_PAIRS_CHECK,
                asset=PHONE_NUMBERS_KEY,
                blocking=True,  # a duplicated pair would duplicate staged rows downstream
                description="One row per (phone_raw, country_raw): the key staging joins on.",
            )
        ],
        description=(
            "One row per distinct (phone_raw, country_raw) of the raw tables with a phone: E.164 "
            "form, validity, number type, region and a reason code, parsed with the phonenumbers "
            "library in the record's country (else defaults.phone_region of sources.yml). Only "
            "pairs not parsed yet, or parsed by another phonenumbers release, are parsed. Staging "
            "models left-join it on (phone, coalesce(country, ''))."
        ),
    )
    def phone_numbers(context: AssetExecutionContext) -> MaterializeResult:
        settings = get_settings()
        result = load_phone_numbers(settings, config)
        context.log.info("phone pairs parsed: %d", result.pairs_parsed)
        duplicates = duplicate_pairs(settings.duckdb_path)
        return MaterializeResult(
            metadata={
                "pairs_parsed_this_run": result.pairs_parsed,
                **phone_numbers_summary(settings.duckdb_path),
            },
            check_results=[
                AssetCheckResult(
                    check_name=UNIQUE_PAIRS_CHECK,
                    passed=duplicates == 0,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={"duplicated_pairs": duplicates},
                )
            ],
        )

    return [phone_numbers]
