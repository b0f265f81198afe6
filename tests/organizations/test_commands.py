"""Operator commands go through the services: checked, audited, grants in step."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.accounts.models import User
from portal.audit.models import AuditLog
from portal.organizations.models import Organization
from portal.organizations.permissions import perms_on
from tests.conftest import make_org, make_user


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_commands_need_a_superuser():
    with pytest.raises(CommandError, match="no active superuser"):
        run("org_create", "Nobody's")


@pytest.mark.django_db
def test_create_add_list_remove(root):
    assert "Created organization Ops" in run("org_create", "Ops", "--description", "Operations")
    make_user("bob")
    assert "bob is a member of Ops" in run("org_add_member", "ops", "bob")
    bob = User.objects.get(username="bob")
    ops = Organization.objects.get(name="Ops")
    assert bob.organization_id == ops.pk
    assert perms_on(bob, ops) == {"view_organization"}
    listing = run("org_list")
    assert "Ops" in listing and "      1  Ops" in listing
    assert "Removed bob from Ops" in run("org_remove_member", str(ops.pk), "bob")
    actions = list(AuditLog.objects.filter(username="root").order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["org_create", "org_add_user", "org_remove_user"]


@pytest.mark.django_db
def test_command_refusals_are_clear_errors(root):
    make_org("Full")
    make_user("carol", organization=Organization.objects.get(name="Full"))
    with pytest.raises(CommandError, match="already exists"):
        run("org_create", "full")
    with pytest.raises(CommandError, match="No organization"):
        run("org_add_member", "Missing", "carol")
    with pytest.raises(CommandError, match="No user"):
        run("org_add_member", "Full", "nobody")
    with pytest.raises(CommandError, match="No active superuser named"):
        run("org_list", "--as", "carol")


@pytest.mark.django_db
def test_seed_demo_is_consistent_and_repeatable():
    out = run("seed_demo", "--password", "demo-password-123")
    assert "Demo data ready" in out
    assert Organization.objects.count() == 3
    grace = User.objects.get(username="grace")
    assert perms_on(grace, grace.organization) >= {"change_organization", "manage_members"}
    assert User.objects.get(username="linus").manages_members
    assert User.objects.get(username="grace").check_password("demo-password-123")
    run("seed_demo", "--password", "demo-password-123")
    assert Organization.objects.count() == 3 and User.objects.count() == 11
