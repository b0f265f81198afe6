"""The audit log page and CSV export: actor matrix, filters, htmx partial, CSV content and query counts."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from portal.audit import views
from portal.audit.forms import DATES_REVERSED, NO_SUCH_USER
from portal.audit.models import Action, AuditLog
from portal.audit.selectors import AUDIT_FORBIDDEN
from portal.audit.services import audit_record
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FORBIDDEN_PAGE = b"You cannot open this page"


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def ids_on_page(response) -> list[int]:
    return [entry.pk for entry, _ in response.context["rows"]]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def at(entry: AuditLog, when: datetime) -> AuditLog:
    """Backdate an entry (the model refuses updates; tests go around it on purpose)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditLog._meta.db_table} SET created_at = %s WHERE id = %s", [when, entry.pk]
        )
    return AuditLog.objects.get(pk=entry.pk)


# --- actor matrix -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv"])
def test_anonymous_is_sent_to_login(world, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("actor", ["user_a", "user_b", "user_none", "admin_none"])
@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv"])
def test_users_and_admins_without_org_get_the_403_page(world, actor, path):
    response = client_for(world[actor]).get(path)
    assert response.status_code == 403
    assert FORBIDDEN_PAGE in response.content
    assert AUDIT_FORBIDDEN.encode() in response.content


def test_superuser_reads_everything(world):
    response = client_for(world["root"]).get("/audit/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == AuditLog.objects.count()


@pytest.mark.parametrize(("actor", "org"), [("admin_a", "org_a"), ("admin_b", "org_b")])
def test_admin_reads_only_own_organization(world, actor, org):
    response = client_for(world[actor]).get("/audit/")
    assert response.status_code == 200
    org_id = world[org].pk
    expected = set(AuditLog.objects.filter(organization_id=org_id).values_list("pk", flat=True))
    assert set(ids_on_page(response)) == expected
    assert expected
    assert 'name="organization"' not in response.content.decode()


def test_admin_cannot_widen_scope_with_organization_parameter(world):
    response = client_for(world["admin_a"]).get("/audit/", {"organization": world["org_b"].pk})
    assert response.status_code == 200
    assert all(entry.organization_id == world["org_a"].pk for entry, _ in response.context["rows"])
    rows = csv_rows(
        client_for(world["admin_a"]).get("/audit/export.csv", {"organization": world["org_b"].pk})
    )
    assert rows and {row["organization_id"] for row in rows} == {str(world["org_a"].pk)}


# --- filters ----------------------------------------------------------------------------


def test_filter_by_action_user_and_organization(world):
    client = client_for(world["root"])
    response = client.get("/audit/", {"action": Action.ORG_ADD_USER})
    assert {entry.action for entry, _ in response.context["rows"]} == {Action.ORG_ADD_USER}
    response = client.get("/audit/", {"user": "admin_b"})
    assert {entry.user_id for entry, _ in response.context["rows"]} == {world["admin_b"].pk}
    assert response.context["rows"]
    response = client.get("/audit/", {"organization": world["org_b"].pk, "action": Action.ORG_ADD_USER})
    assert len(response.context["rows"]) == 2
    assert {entry.organization_id for entry, _ in response.context["rows"]} == {world["org_b"].pk}


def test_date_range_includes_the_whole_last_day(world):
    root = world["root"]
    old = at(
        audit_record(actor=root, action=Action.ORG_UPDATE, detail="old"), datetime(2024, 1, 1, 12, tzinfo=UTC)
    )
    late = at(
        audit_record(actor=root, action=Action.ORG_UPDATE, detail="late"),
        datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC),
    )
    after = at(
        audit_record(actor=root, action=Action.ORG_UPDATE, detail="after"), datetime(2024, 2, 1, tzinfo=UTC)
    )
    client = client_for(root)
    response = client.get("/audit/", {"since": "2024-01-02", "until": "2024-01-31"})
    assert ids_on_page(response) == [late.pk]
    response = client.get("/audit/", {"until": "2024-01-31"})
    assert ids_on_page(response) == [late.pk, old.pk]
    response = client.get("/audit/", {"since": "2024-02-01", "action": Action.ORG_UPDATE})
    assert ids_on_page(response) == [after.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "not-a-date"}, "since"),
        ({"until": "2024-13-45"}, "until"),
        ({"since": "2024-02-01", "until": "2024-01-01"}, "until"),
        ({"user": "nobody-by-that-name"}, "user"),
        ({"user": "bad\x00name"}, "user"),
        ({"action": "drop_tables"}, "action"),
        ({"organization": "99999999999999999999999"}, "organization"),
        ({"until": "9999-12-31"}, None),
        ({"since": "0001-01-01"}, None),
    ],
)
def test_bad_filters_are_reported_not_500(world, params, field):
    response = client_for(world["root"]).get("/audit/", params)
    assert response.status_code == 200
    errors = response.context["form"].errors
    if field is None:
        assert not errors
    else:
        assert field in errors
        assert "Some filters were not applied" in response.content.decode()
    export = client_for(world["root"]).get("/audit/export.csv", params)
    assert export.status_code == 200


def test_user_filter_only_finds_users_the_viewer_may_see(world):
    client = client_for(world["admin_a"])
    response = client.get("/audit/", {"user": "user_a"})
    assert not response.context["form"].errors
    assert {entry.user_id for entry, _ in response.context["rows"]} == {world["user_a"].pk}
    response = client.get("/audit/", {"user": "admin_b"})
    assert NO_SUCH_USER in response.context["form"].errors["user"]


def test_reversed_dates_message(world):
    response = client_for(world["root"]).get("/audit/", {"since": "2024-02-01", "until": "2024-01-01"})
    assert DATES_REVERSED in response.context["form"].errors["until"]


def test_htmx_filter_returns_only_the_results_partial(world):
    response = client_for(world["root"]).get("/audit/", {"action": Action.ORG_CREATE}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="audit-results"')
    assert "org_create" in html and "user_create" not in html
    # The export link inside the partial carries the same filters.
    assert 'href="/audit/export.csv?action=org_create"' in html


def test_plain_get_form_works_without_js(world):
    html = client_for(world["root"]).get("/audit/").content.decode()
    assert '<form method="get" action="/audit/"' in html
    assert '<button type="submit" class="secondary">Filter</button>' in html
    for name in ("action", "user", "organization", "since", "until"):
        assert f'<label for="id_{name}">' in html


def test_pagination(world):
    root = world["root"]
    for number in range(40):
        audit_record(actor=root, action=Action.ORG_UPDATE, detail=f"bulk {number}")
    client = client_for(root)
    first = client.get("/audit/", {"action": Action.ORG_UPDATE})
    assert len(first.context["rows"]) == 25
    assert 'href="?action=org_update&amp;page=2"' in first.content.decode()
    second = client.get("/audit/", {"action": Action.ORG_UPDATE, "page": 2})
    assert len(second.context["rows"]) == 15
    assert set(ids_on_page(first)).isdisjoint(ids_on_page(second))


def test_markup_in_entries_renders_as_text(world):
    org = make_org("<script>alert('org')</script>")
    audit_record(
        actor=world["root"],
        action=Action.ORG_UPDATE,
        organization_id=org.pk,
        detail="<img src=x onerror=alert(1)>",
    )
    html = client_for(world["root"]).get("/audit/").content.decode()
    body = html.split("</head>")[1]
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "&lt;script&gt;alert(&#x27;org&#x27;)&lt;/script&gt;" in body


# --- CSV ------------------------------------------------------------------------------------


def test_csv_has_exactly_the_filtered_rows_across_pages(world):
    root = world["root"]
    for number in range(60):
        audit_record(
            actor=root, action=Action.ORG_UPDATE, organization_id=world["org_a"].pk, detail=f"n{number}"
        )
    client = client_for(root)
    params = {"action": Action.ORG_UPDATE, "organization": world["org_a"].pk}
    rows = csv_rows(client.get("/audit/export.csv", params))
    expected = list(
        AuditLog.objects.filter(action=Action.ORG_UPDATE, organization_id=world["org_a"].pk).values_list(
            "pk", flat=True
        )
    )
    assert len(rows) == len(expected) == 60
    assert [row["detail"] for row in rows] == [f"n{number}" for number in reversed(range(60))]
    assert client.get("/audit/", params).context["page"].paginator.count == 60
    assert list(rows[0]) == list(views.CSV_COLUMNS)
    assert rows[0]["organization"] == "Alpha"
    assert rows[0]["username"] == "root"


def test_csv_unfiltered_has_every_row(world):
    rows = csv_rows(client_for(world["root"]).get("/audit/export.csv"))
    assert len(rows) == AuditLog.objects.count()


def test_csv_neutralizes_formulas_and_keeps_markup_verbatim(world):
    root = world["root"]
    dangerous = ['=HYPERLINK("http://evil")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "\rCR"]
    for text in dangerous:
        audit_record(actor=root, action=Action.ORG_UPDATE, detail=text, resource_id=text[:60])
    audit_record(
        actor=root,
        action=Action.ORG_UPDATE,
        detail="<b>bold</b> & 'quoted'",
        changes={"name": {"old": "=a", "new": "b"}},
    )
    # A failed sign-in records the attempted username verbatim: a real way in for a formula.
    Client().post("/login/", {"username": "=cmd|' /C calc'!A0", "password": "x"})
    rows = csv_rows(client_for(root).get("/audit/export.csv"))
    details = {row["detail"] for row in rows}
    for text in dangerous:
        assert "'" + text in details
        assert text not in details
    assert {row["resource_id"] for row in rows} >= {"'" + text for text in dangerous}
    assert "<b>bold</b> & 'quoted'" in details
    changed = next(row for row in rows if row["detail"].startswith("<b>"))
    assert changed["changes"] == '{"name": {"old": "=a", "new": "b"}}'
    failure = next(row for row in rows if row["action"] == Action.LOGIN_FAILURE)
    assert failure["username"] == "'=cmd|' /C calc'!A0"


def test_neutralize():
    assert views.neutralize("=1") == "'=1"
    assert views.neutralize("plain") == "plain"
    assert views.neutralize(None) == ""
    assert views.neutralize(42) == "42"
    assert views.neutralize("a=b") == "a=b"


def test_csv_is_streamed(world):
    response = client_for(world["root"]).get("/audit/export.csv")
    assert response.streaming
    assert response["Cache-Control"] == "no-store"


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 80])
@pytest.mark.parametrize("actor", ["root", "admin_a"])
def test_audit_page_queries_are_few_and_constant(world, actor, extra, django_assert_max_num_queries):
    for number in range(extra):
        org = world["org_a"] if number % 2 else world["org_b"]
        audit_record(
            actor=world["user_a"], action=Action.ORG_UPDATE, organization_id=org.pk, detail=str(number)
        )
    for number in range(extra // 10):
        make_user(f"extra{number}", organization=world["org_a"])
        make_org(f"More {number}")
    client = client_for(world[actor])
    with django_assert_max_num_queries(8):
        assert client.get("/audit/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/audit/", {"action": Action.ORG_UPDATE, "page": 2}, **HTMX).status_code == 200
    with django_assert_max_num_queries(8):
        response = client.get("/audit/export.csv")
        b"".join(response.streaming_content)


def test_entries_of_deleted_organization_still_show(world):
    root = world["root"]
    org = make_org("Ephemeral")
    from portal.organizations.services import organization_delete

    organization_delete(actor=root, organization_id=org.pk)
    html = client_for(root).get("/audit/", {"organization": ""}).content.decode()
    assert f"#{org.pk} (deleted)" in html


def test_timestamps_are_shown_in_utc(world):
    entry = at(
        audit_record(actor=world["root"], action=Action.ORG_UPDATE), timezone.now() - timedelta(days=1)
    )
    html = client_for(world["root"]).get("/audit/").content.decode()
    when = entry.created_at.astimezone(UTC)
    assert f"<span>{when:%Y-%m-%d}</span> <span>{when:%H:%M:%S}</span>" in html
