"""The dlt pipeline of each destination: files (dlt's filesystem) or a webhook (custom destination).

One pipeline per destination, ``cdp_activation_<name>``, its working folder under
``CDP_DLT_PIPELINES_DIR`` like the ingestion pipelines, so a load package left by a crash is still
there for the next run to finish. Each audience is one table: files land in
``<folder>/<destination>/<audience>/<load_id>.<file_id>.<csv|parquet>`` (uncompressed).
"""

from __future__ import annotations

import json
import os
from typing import Any

import dlt
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    DestinationTransientException,
)
from dlt.common.schema import TTableSchema
from dlt.common.typing import TDataItems
from dlt.sources.helpers.requests import Client

from ingestion.settings import Settings
from orchestration.activation import ledger
from orchestration.activation.config import FilesDestination, WebhookDestination
from orchestration.activation.deltas import CHANNEL_IDENTIFIERS
from orchestration.activation.hashing import sha256_hex

# 429 and 5xx are worth retrying; any other non-2xx (401, 404, 422) will not fix itself.
_RETRY_STATUS = (429, *range(500, 600))


def pipeline_name(destination: str) -> str:
    return f"cdp_activation_{destination}"


def dlt_destination_name(destination: str) -> str:
    """Config section of the destination: its token is ``DESTINATION__<THIS>__TOKEN``."""
    return f"activation_{destination}"


def token_env_var(destination: str) -> str:
    return f"DESTINATION__{dlt_destination_name(destination).upper()}__TOKEN"


def table_columns(channel: str) -> dict[str, dict[str, Any]]:
    """Column hints of an audience table: every column typed, even when all values are null."""
    names = [
        "audience_name",
        "channel",
        "action",
        "unified_customer_id",
        *CHANNEL_IDENTIFIERS[channel],
        "batch_id",
        "run_id",
    ]
    identifiers = set(ledger.IDENTIFIER_COLUMNS)
    return {
        name: {"name": name, "data_type": "text", "nullable": name in identifiers} for name in names
    }


def webhook_destination(name: str, config: WebhookDestination) -> Any:
    """A dlt custom destination POSTing each batch of rows as one JSON document.

    Body: ``{"destination", "audience", "rows": [...]}``; headers: the token (from dlt secrets,
    never the YAML) and ``Idempotency-Key``, the SHA-256 of the body, so a receiver can drop a
    batch it already has if dlt resends it after a crash mid-load.
    """
    client = Client(
        request_timeout=config.timeout_seconds,
        raise_for_status=False,
        status_codes=_RETRY_STATUS,
        request_max_attempts=config.max_attempts,
        request_backoff_factor=config.backoff_seconds,
        request_max_retry_delay=max(config.backoff_seconds * 8, 0.001),
    )

    def post_batch(items: TDataItems, table: TTableSchema, token: str = dlt.secrets.value) -> None:
        body = json.dumps(
            {"destination": name, "audience": table["name"], "rows": items},
            sort_keys=True,
            default=str,
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            config.token_header: f"{config.token_prefix}{token}",
            "Idempotency-Key": sha256_hex(body.decode("utf-8")),
        }
        # The client retries 429/5xx and connection errors with backoff before answering.
        response = client.session.post(config.url, data=body, headers=headers)
        if 200 <= response.status_code < 300:
            return
        message = f"webhook {name}: {config.url} answered {response.status_code}"
        if response.status_code in _RETRY_STATUS:
            # Transient: the job stays in the package with its offset; the next load resumes.
            raise DestinationTransientException(message)
        raise DestinationTerminalException(message)

    return dlt.destination(
        post_batch,
        name=dlt_destination_name(name),
        batch_size=config.batch_size,
        loader_file_format="typed-jsonl",
        naming_convention="direct",
    )()


def make_pipeline(
    name: str, config: FilesDestination | WebhookDestination, settings: Settings
) -> dlt.Pipeline:
    """The dlt pipeline of one destination."""
    if isinstance(config, FilesDestination):
        folder = config.folder(settings)
        folder.mkdir(parents=True, exist_ok=True)
        # Whoever imports the files (an ESP, an SMS gateway) expects plain CSV, but dlt gzips its
        # files by default. Turned off for this pipeline only (dlt reads config under the pipeline
        # name first); set the variable to false to keep compression.
        os.environ.setdefault(
            f"{pipeline_name(name).upper()}__NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true"
        )
        destination: Any = dlt.destinations.filesystem(
            bucket_url=folder.resolve().as_uri(), destination_name=dlt_destination_name(name)
        )
    else:
        destination = webhook_destination(name, config)
    return dlt.pipeline(
        pipeline_name=pipeline_name(name),
        destination=destination,
        dataset_name=name,
        pipelines_dir=str(settings.dlt_pipelines_dir),
    )


def loader_file_format(config: FilesDestination | WebhookDestination) -> str:
    return config.format if isinstance(config, FilesDestination) else "typed-jsonl"
