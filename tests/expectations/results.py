"""Reading GX check results out of a Dagster run."""

from __future__ import annotations

from dagster import AssetCheckEvaluation, ExecuteInProcessResult


def gx_evaluations(result: ExecuteInProcessResult) -> dict[tuple[str, str], AssetCheckEvaluation]:
    """(asset key, check name) -> evaluation, for the GX checks of a run."""
    return {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in (event.event_specific_data for event in result.all_events)
        if isinstance(e, AssetCheckEvaluation) and e.check_name.startswith("gx_")
    }
