"""Segment consent events of the sample data generator (ingestion/sample_data/events.py).

A few identified persons set their preferences in a consent banner ("Segment Consent Preference
Updated", preferences in context.consent.categoryPreferences); some withdraw email later, some
re-send the same choice. Generated once for 2,000 persons.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingestion.sample_data import Manifest, generate
from ingestion.sample_data.events import CONSENT_EVENT, CONSENT_GRANT_PROBABILITY

PERSONS = 2000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return generate(PERSONS, 42, tmp_path_factory.mktemp("consent"))


@pytest.fixture(scope="module")
def consent_events(run: Manifest) -> list[tuple[str, dict]]:
    """(file month, event) of every consent event, in file order."""
    out = []
    for path in sorted((run.root / "landing" / "events").glob("events_*.jsonl")):
        month = path.stem.removeprefix("events_")
        for line in path.read_text(encoding="utf-8").splitlines():
            if CONSENT_EVENT in line:
                out.append((month, json.loads(line)))
    return out


def test_consent_events_follow_the_segment_spec(run: Manifest, consent_events) -> None:
    assert len(consent_events) == run.tables["events.events"]["consent_preference_updates"]
    users = {event["userId"] for _, event in consent_events}
    # ~8% of the persons with identified web/app events: tens of persons among 2,000.
    assert 30 <= len(users) <= 200
    for month, event in consent_events:
        assert event["type"] == "track" and event["properties"] == {}
        assert event["userId"] and event["anonymousId"]
        preferences = event["context"]["consent"]["categoryPreferences"]
        assert set(preferences) == set(CONSENT_GRANT_PROBABILITY)
        assert all(isinstance(value, bool) for value in preferences.values())
        # Never late: the event lands in the file of its own (UTC) month.
        stamp = datetime.fromisoformat(event["timestamp"]).astimezone(UTC)
        assert f"{stamp:%Y-%m}" == month
    assert any("device" in event["context"] for _, event in consent_events)  # app
    assert any("page" in event["context"] for _, event in consent_events)  # web


def test_some_persons_withdraw_and_some_resend(consent_events) -> None:
    by_user: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for _, event in consent_events:
        by_user[event["userId"]].append(
            (event["timestamp"], event["context"]["consent"]["categoryPreferences"])
        )
    withdrawals = resends = 0
    for updates in by_user.values():
        updates.sort(key=lambda u: datetime.fromisoformat(u[0]))
        assert len(updates) <= 2
        if len(updates) == 2:
            first, second = updates[0][1], updates[1][1]
            if first == second:
                resends += 1
            else:
                withdrawals += 1
                assert second["email"] is False
                # A withdrawal never grants what the first choice refused.
                assert all(first[c] or not second[c] for c in first)
    assert withdrawals >= 3 and resends >= 1


def test_consent_events_are_in_the_ground_truth(run: Manifest, consent_events) -> None:
    truth = pq.read_table(Path(run.root) / "ground_truth" / "ground_truth.parquet").to_pandas()
    keys = set(truth.loc[truth["table"] == "events", "record_key"])
    assert {event["messageId"] for _, event in consent_events} <= keys
