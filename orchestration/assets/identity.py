"""Identity resolution measured against the sample generator's ground truth, once per run."""

from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from ingestion.settings import get_settings
from orchestration.identity.accuracy import (
    ACCURACY_TABLE,
    any_shared_identifier,
    identity_accuracy,
    missed_pairs_by_source,
    store_accuracy,
)

ACCURACY_KEY = AssetKey(["identity", "accuracy"])
CUSTOMER_RECORDS_KEY = AssetKey(["marts", "dim_customer_records"])
DETERMINISTIC_RECORDS_KEY = AssetKey(["intermediate", "int_identity_record_clusters_deterministic"])


@asset(
    key=ACCURACY_KEY,
    deps=[CUSTOMER_RECORDS_KEY, DETERMINISTIC_RECORDS_KEY],
    group_name="identity",
    kinds={"duckdb", "python"},
    metadata={"dagster/table_name": ACCURACY_TABLE},
    description=(
        "Pairwise precision, recall and F1 of the record -> customer partition against the "
        "sample generator's ground truth (which person wrote each record), deterministic only "
        "and with probabilistic edges, appended per run to identity.accuracy_runs, with the "
        "source pairs where recall is lost and the recall ceiling (true pairs joined by any "
        "chain of shared identifiers at all). Skipped (no rows) when the data has no ground truth, "
        "as with your own data."
    ),
)
def identity_accuracy_asset(context: AssetExecutionContext) -> MaterializeResult:
    settings = get_settings()
    truth = settings.ground_truth_dir / "ground_truth.parquet"
    if not truth.is_file():
        return MaterializeResult(metadata={"skipped": f"no ground truth at {truth}"})
    with duckdb.connect(str(settings.duckdb_path)) as con:
        results = identity_accuracy(con, truth)
        missed = missed_pairs_by_source(con, truth)
        ceiling = any_shared_identifier(con, truth)
        store_accuracy(con, context.run.run_id, {**results, ceiling.partition: ceiling})
    metadata: dict[str, Any] = {}
    for name, result in results.items():
        metadata[f"{name}_precision"] = round(result.precision, 5)
        metadata[f"{name}_recall"] = round(result.recall, 5)
        metadata[f"{name}_f1"] = round(result.f1, 5)
    metadata["records_measured"] = results["with_probabilistic"].records
    # What the data allows: pairs joined by no chain of shared identifiers cannot be found.
    metadata["recall_ceiling_any_shared_identifier"] = round(ceiling.recall, 5)
    metadata["precision_linking_without_rules"] = round(ceiling.precision, 5)
    metadata["missed_pairs_by_source"] = MetadataValue.json(missed)
    final = results["with_probabilistic"]
    context.log.info(
        "identity accuracy: precision %.4f recall %.4f F1 %.4f",
        final.precision,
        final.recall,
        final.f1,
    )
    return MaterializeResult(metadata=metadata)
