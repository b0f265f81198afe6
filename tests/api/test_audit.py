"""GET /api/v1/audit-logs/: who reads what, filters, order, append-only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.audit.models import AppendOnlyError, AuditLog
from tests.conftest import api_as


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("root", 200),
        ("admin_a", 200),
        ("admin_b", 200),
        ("user_a", 403),
        ("admin_none", 403),
        ("user_none", 403),
    ],
)
def test_audit_read_matrix(world, actor, expected):
    response = api_as(world[actor]).get("/api/v1/audit-logs/")
    assert response.status_code == expected
    if expected == 200:
        entries = response.json()
        if actor != "root":
            own = world["org_a" if actor == "admin_a" else "org_b"].pk
            assert entries and all(entry["organization_id"] == own for entry in entries)
        assert int(response["X-Total-Count"]) >= len(entries)


@pytest.mark.django_db
def test_anonymous_audit_is_401():
    from tests.conftest import ApiClient

    assert ApiClient().get("/api/v1/audit-logs/").status_code == 401


@pytest.mark.django_db
def test_admin_cannot_read_other_org_by_filter(world):
    response = api_as(world["admin_a"]).get("/api/v1/audit-logs/", {"organization_id": world["org_b"].pk})
    assert response.status_code == 403


@pytest.mark.django_db
def test_filters_and_newest_first(world):
    client = api_as(world["root"])
    client.put(f"/api/v1/organizations/{world['org_a'].pk}", {"description": "one"})
    client.put(f"/api/v1/organizations/{world['org_a'].pk}", {"description": "two"})
    response = client.get("/api/v1/audit-logs/", {"action": "org_update"})
    entries = response.json()
    assert [e["changes"]["description"]["new"] for e in entries] == ["two", "one"]
    assert response["X-Total-Count"] == "2"
    by_user = client.get(
        "/api/v1/audit-logs/", {"user_id": world["root"].pk, "resource_type": "organization"}
    ).json()
    assert by_user and all(e["user_id"] == world["root"].pk for e in by_user)
    by_resource = client.get(
        "/api/v1/audit-logs/", {"resource_type": "organization", "resource_id": str(world["org_b"].pk)}
    )
    assert all(e["resource_id"] == str(world["org_b"].pk) for e in by_resource.json())
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/audit-logs/", {"since": future}).json() == []
    assert client.get("/api/v1/audit-logs/", {"until": future})["X-Total-Count"] == str(
        AuditLog.objects.count()
    )


@pytest.mark.django_db
def test_default_limit_is_100(world):
    from portal.audit.services import audit_record

    for index in range(120):
        audit_record(
            actor=world["root"], action="org_update", organization_id=world["org_a"].pk, detail=str(index)
        )
    response = api_as(world["root"]).get("/api/v1/audit-logs/")
    assert len(response.json()) == 100
    assert int(response["X-Total-Count"]) > 120


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"action": "org_explode"},
        {"since": "yesterday"},
        {"until": "2025-13-45"},
        {"limit": 0},
        {"limit": 1001},
        {"user_id": "abc"},
        {"organization_id": str(2**64)},
    ],
)
def test_bad_audit_filters_are_422(root, params):
    response = api_as(root).get("/api/v1/audit-logs/", params)
    assert response.status_code == 422


@pytest.mark.django_db
def test_audit_entries_are_append_only(world):
    entry = AuditLog.objects.first()
    entry.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=entry.pk).update(detail="x")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=entry.pk).detail != "rewritten"
