"""Ingestion: sample data generation and dlt loading of landing files into raw datasets."""

import os
from pathlib import Path

# dlt reads .dlt/config.toml from its project directory, which defaults to the current working
# directory; point it at the repository so Dagster, tests and the CLI share one configuration.
os.environ.setdefault("DLT_PROJECT_DIR", str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
