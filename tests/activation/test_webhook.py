"""The webhook destination against a real local HTTP receiver (http.server in a thread)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingestion.settings import Settings
from orchestration.activation.config import ActivationConfig
from orchestration.activation.destinations import make_pipeline
from orchestration.activation.exporter import run_exports

from .conftest import config_of, query, write_marts

TOKEN = "s3cr3t-token"
AUDIENCES = {"vip_email": "email"}
MEMBERS = [
    ("vip_email", "email", "c1", "ann@example.com", None, None),
    ("vip_email", "email", "c2", "bob@example.com", None, None),
    ("vip_email", "email", "c3", "cy@example.com", None, None),
]


@dataclass
class Receiver:
    url: str
    # Status to answer per request, in order; 200 once the list is used up.
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)  # every request: status, headers, body

    @property
    def accepted(self) -> list[dict]:
        return [request["body"] for request in self.requests if request["status"] == 200]

    def accepted_rows(self) -> list[dict]:
        return [row for body in self.accepted for row in body["rows"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                status = state.statuses.pop(0) if state.statuses else 200
                state.requests.append(
                    {"status": status, "headers": dict(self.headers), "body": body}
                )
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/audiences"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__ACTIVATION_HOOK__TOKEN", TOKEN)
    # dlt retries a job whose batch failed this many times inside one load before giving up.
    monkeypatch.setenv("LOAD__RAISE_ON_MAX_RETRIES", "1")


def hook_config(url: str, batch_size: int = 10) -> ActivationConfig:
    return config_of(
        {
            "destinations": {
                "hook": {
                    "kind": "webhook",
                    "url": url,
                    "batch_size": batch_size,
                    "max_attempts": 2,
                    "backoff_seconds": 0,
                    "timeout_seconds": 5,
                }
            }
        }
    )


def test_webhook_posts_json_with_token_and_sends_nothing_twice(
    cdp_settings: Settings, receiver: Receiver
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    result = run_exports(cdp_settings, hook_config(receiver.url), "run-1")
    assert result.errors == []
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert len(request["headers"]["Idempotency-Key"]) == 64
    body = request["body"]
    batch_id = body["rows"][0]["batch_id"]
    assert body == {
        "destination": "hook",
        "audience": "vip_email",
        "rows": [
            {
                "audience_name": "vip_email",
                "channel": "email",
                "action": "add",
                "unified_customer_id": customer,
                "email": email,
                "batch_id": batch_id,
                "run_id": "run-1",
            }
            for customer, email in [
                ("c1", "ann@example.com"),
                ("c2", "bob@example.com"),
                ("c3", "cy@example.com"),
            ]
        ],
    }
    run_exports(cdp_settings, hook_config(receiver.url), "run-1")
    run_exports(cdp_settings, hook_config(receiver.url), "run-2")
    assert len(receiver.requests) == 1

    write_marts(cdp_settings, MEMBERS[1:], AUDIENCES)
    run_exports(cdp_settings, hook_config(receiver.url), "run-3")
    assert [
        (r["action"], r["unified_customer_id"]) for r in receiver.requests[-1]["body"]["rows"]
    ] == [("remove", "c1")]


def test_webhook_retries_after_a_500(cdp_settings: Settings, receiver: Receiver) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    receiver.statuses = [500]
    result = run_exports(cdp_settings, hook_config(receiver.url), "run-1")
    assert result.errors == []
    assert [request["status"] for request in receiver.requests] == [500, 200]
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    assert sorted(row["unified_customer_id"] for row in receiver.accepted_rows()) == [
        "c1",
        "c2",
        "c3",
    ]
    assert query(cdp_settings, "select distinct status from activation.export_batches") == [
        ("loaded",)
    ]


def test_webhook_down_midway_resumes_next_run_without_duplicates(
    cdp_settings: Settings, receiver: Receiver
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    # One row per POST: the first is accepted, then the receiver fails until the run gives up.
    receiver.statuses = [200, *[503] * 50]
    failed = run_exports(cdp_settings, hook_config(receiver.url, batch_size=1), "run-1")
    assert failed.errors and "hook" in failed.errors[0]
    assert [row["unified_customer_id"] for row in receiver.accepted_rows()] == ["c1"]
    assert query(cdp_settings, "select status from activation.export_batches") == [("pending",)]
    assert failed.currently_exported == {}

    receiver.statuses = []
    result = run_exports(cdp_settings, hook_config(receiver.url, batch_size=1), "run-2")
    assert result.errors == []
    assert result.destinations[0].resolved == {"loaded": 1}
    assert sorted(row["unified_customer_id"] for row in receiver.accepted_rows()) == [
        "c1",
        "c2",
        "c3",
    ]
    assert {row["run_id"] for row in receiver.accepted_rows()} == {"run-1"}
    assert result.currently_exported == {("hook", "vip_email"): 3}


def test_webhook_rejection_keeps_the_package_for_the_next_run(
    cdp_settings: Settings, receiver: Receiver
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    receiver.statuses = [401]
    failed = run_exports(cdp_settings, hook_config(receiver.url), "run-1")
    assert failed.errors
    assert len(receiver.requests) == 1  # a 4xx is not retried by the HTTP client
    assert query(cdp_settings, "select status from activation.export_batches") == [("pending",)]

    # The token is fixed: the next run finishes the package before planning anything new.
    result = run_exports(cdp_settings, hook_config(receiver.url), "run-2")
    assert result.errors == []
    assert result.destinations[0].resolved == {"loaded": 1}
    assert sorted(row["unified_customer_id"] for row in receiver.accepted_rows()) == [
        "c1",
        "c2",
        "c3",
    ]
    assert result.currently_exported == {("hook", "vip_email"): 3}


def test_aborted_package_is_failed_and_replanned(
    cdp_settings: Settings, receiver: Receiver
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    receiver.statuses = [401]
    run_exports(cdp_settings, hook_config(receiver.url), "run-1")
    # What an operator does about a package that can never load.
    make_pipeline(
        "hook", hook_config(receiver.url).destinations["hook"], cdp_settings
    ).abort_packages()

    result = run_exports(cdp_settings, hook_config(receiver.url), "run-2")
    assert result.errors == []
    assert result.destinations[0].resolved == {"failed": 1}
    assert sorted(row["unified_customer_id"] for row in receiver.accepted_rows()) == [
        "c1",
        "c2",
        "c3",
    ]
    assert {row["run_id"] for row in receiver.accepted_rows()} == {"run-2"}


def test_webhook_without_token_fails_before_anything_is_planned(
    cdp_settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESTINATION__ACTIVATION_HOOK__TOKEN")
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    result = run_exports(cdp_settings, hook_config(receiver.url), "run-1")
    assert "DESTINATION__ACTIVATION_HOOK__TOKEN" in result.errors[0]
    assert receiver.requests == []
    assert query(cdp_settings, "select count(*) from activation.export_batches") == [(0,)]
