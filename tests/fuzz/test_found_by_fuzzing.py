"""Inputs the fuzzer found answering 500, kept as plain regression cases (both databases)."""

import json
from datetime import UTC, timedelta, timezone

import pytest

from portal.accounts.models import LoginFailure
from portal.audit.models import AuditLog
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        # PostgreSQL refuses NUL in text parameters (DataError).
        ("/api/v1/users/", {"q": "a\x00b"}, "q"),
        ("/api/v1/audit-logs/", {"resource_type": "\x00"}, "resource_type"),
        ("/api/v1/audit-logs/", {"resource_id": "1\x00"}, "resource_id"),
        # Python cannot hold these instants in UTC (OverflowError on SQLite).
        ("/api/v1/audit-logs/", {"since": "0001-01-01T00:00:00+14:00"}, "since"),
        ("/api/v1/audit-logs/", {"until": "9999-12-31T23:59:59-14:00"}, "until"),
    ],
)
def test_bad_filter_is_a_422_naming_the_parameter(root, path, params, field):
    response = api_as(root).get(path, params)
    assert response.status_code == 422, response.content
    [item] = response.json()["detail"]
    assert item["loc"] == ["query", field]
    assert item["msg"]


def test_offset_beyond_what_postgresql_takes_is_converted_to_utc(root):
    # PostgreSQL refuses UTC offsets beyond 15:59 (InvalidTimeZoneDisplacementValue); Python does not.
    response = api_as(root).get("/api/v1/audit-logs/", {"since": "0032-03-08T20:40:25+16:57"})
    assert response.status_code == 200
    assert response["X-Total-Count"] == str(AuditLog.objects.count())


def test_offset_filters_compare_in_utc(root):
    newest = AuditLog.objects.order_by("-created_at").first()
    assert newest is not None
    # One second before the newest entry, written at +10:00 and at -03:30.
    instant = newest.created_at.astimezone(UTC) - timedelta(seconds=1)
    for offset in (timedelta(hours=10), -timedelta(hours=3, minutes=30)):
        since = instant.astimezone(timezone(offset)).isoformat()
        until = (instant + timedelta(seconds=2)).astimezone(timezone(offset)).isoformat()
        listed = api_as(root).get("/api/v1/audit-logs/", {"since": since, "until": until}).json()
        assert newest.pk in [entry["id"] for entry in listed]
        later = (instant + timedelta(seconds=2)).astimezone(timezone(offset)).isoformat()
        assert newest.pk not in [
            e["id"] for e in api_as(root).get("/api/v1/audit-logs/", {"since": later}).json()
        ]


@pytest.mark.parametrize("field", ["username", "password"])
def test_token_request_with_a_lone_surrogate_is_a_422(root, field):
    body = {"username": "root", "password": "whatever-password"}
    body[field] = "x\ud800"
    # json.dumps writes the lone surrogate as the escape "\ud800", which json.loads accepts.
    raw = json.dumps(body)
    before = (LoginFailure.objects.count(), AuditLog.objects.count())
    response = api_as(None).post("/api/v1/auth/token", raw=raw)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert (LoginFailure.objects.count(), AuditLog.objects.count()) == before
