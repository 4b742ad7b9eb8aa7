from __future__ import annotations

import os
from pathlib import Path

from orchestration.assets.dbt import dbt_build_args, prune_run_folders


def test_dbt_build_args_default_is_plain_build() -> None:
    assert dbt_build_args() == ["build"]


def test_dbt_build_args_adds_flags() -> None:
    assert dbt_build_args(full_refresh=True) == ["build", "--full-refresh"]
    assert dbt_build_args(full_refresh=True, fail_fast=True) == [
        "build",
        "--full-refresh",
        "--fail-fast",
    ]


def test_dbt_build_args_never_selects() -> None:
    # Selection comes from dagster-dbt (the selected assets), never from the args.
    args = dbt_build_args(full_refresh=True, fail_fast=True)
    assert not {"--select", "-s", "--exclude", "--selector"} & set(args)


def test_prune_run_folders_keeps_the_newest(tmp_path: Path) -> None:
    for index in range(7):
        folder = tmp_path / f"run{index}"
        folder.mkdir()
        os.utime(folder, (1_000 + index, 1_000 + index))
    prune_run_folders(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run4", "run5", "run6"]


def test_prune_run_folders_ignores_a_missing_folder(tmp_path: Path) -> None:
    prune_run_folders(tmp_path / "absent")


def test_dbt_resource_overrides_still_match_dagster_dbt() -> None:
    # CdpDbtCliResource skips two start-up costs by overriding private dagster-dbt methods; if an
    # upgrade renames them the override silently stops working, so fail here instead.
    from dagster_dbt import DbtCliResource

    from orchestration.resources import CdpDbtCliResource

    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), name
        assert name in vars(CdpDbtCliResource), name
