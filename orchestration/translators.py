"""How dlt resources and dbt nodes become Dagster assets: keys, groups, descriptions, kinds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.kinds import KINDS
from ingestion.pipeline import dataset_name

# Asset tag of every raw table: what the ingestion job selects.
RAW_LAYER_TAG = ("cdp/layer", "raw")

# Tables every raw dataset holds beside its entity tables; the loader writes them in every run.
META_TABLE_DESCRIPTIONS = {
    "quarantined_rows": (
        "Rows the loader could not use (row_quarantined) and values it nulled (value_nulled), "
        "with source file, row number, field, reason and the original value."
    ),
    "loaded_files": (
        "One row per landing file loaded: checksum, rows read, loaded and quarantined, load time."
    ),
}


def raw_asset_key(source_name: str, table_name: str) -> AssetKey:
    """`[raw_<source>, <table>]`: also dagster-dbt's default key for that dbt source table."""
    return AssetKey([dataset_name(source_name), table_name])


@dataclass
class CdpDltTranslator(DagsterDltTranslator):
    """Maps the resources of one source (entity name == raw table name) onto raw assets."""

    source_name: str = ""
    kind: str = ""

    def table_spec(self, table_name: str) -> AssetSpec:
        """The spec of one raw table, entity or meta, without needing a dlt resource."""
        entities = KINDS[self.kind].entities
        if table_name in entities:
            description = entities[table_name].description
        else:
            description = META_TABLE_DESCRIPTIONS[table_name]
        dataset = dataset_name(self.source_name)
        return AssetSpec(
            key=raw_asset_key(self.source_name, table_name),
            group_name=dataset,
            description=f"{description} ({dataset}.{table_name}, source kind {self.kind}.)",
            kinds={"dlt", "duckdb"},
            metadata={"dagster/table_name": f"{dataset}.{table_name}"},
            tags={
                RAW_LAYER_TAG[0]: RAW_LAYER_TAG[1],
                "cdp/source": self.source_name,
                "cdp/kind": self.kind,
            },
        )

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        # No upstream deps: the landing files are watched by a sensor, not modelled as assets.
        return self.table_spec(data.resource.name)


class CdpDbtTranslator(DagsterDbtTranslator):
    """dbt models are grouped by their first folder under models/ (staging, intermediate, ...).

    Source tables keep dagster-dbt's default key `[source_name, table]`: `[raw_<source>, table]`
    is the key of the dlt asset, `[reference, phone_numbers]` that of the phone step
    (orchestration/assets/reference.py). Those are the lineage edges from Python steps to dbt.
    """

    def __init__(self) -> None:
        # The raw tables are checked by the blocking Great Expectations suites (key unique and not
        # null among them), which gate the one dbt step. dbt's source tests still run inside
        # `dbt build`, which skips the models below a failing one, but are not Dagster checks of
        # the raw assets: a step that checks an asset is exempt from that asset's blocking checks,
        # and Dagster split `dbt build` in three steps, one of them not gated by the raw suites.
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"  # the rules-as-data files analytics engineers edit
        if dbt_resource_props["resource_type"] == "snapshot":
            return "snapshots"  # history tables, in the schema of that name
        if dbt_resource_props["resource_type"] == "model":
            fqn = dbt_resource_props["fqn"]
            return fqn[1] if len(fqn) > 2 else "dbt"
        return super().get_group_name(dbt_resource_props)
