"""Property: over random sequences of operations, guardian's answers equal the matrix that role and
membership define, every organization's stored member_count equals its member rows, every successful
change leaves exactly its audit entries, and a refused one none."""

from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from portal.accounts.models import Role, User
from portal.accounts.services import user_create, user_delete, user_update
from portal.audit.models import AuditLog
from portal.core.exceptions import ServiceError
from portal.organizations.models import Organization
from portal.organizations.services import (
    delegate_grant,
    delegate_revoke,
    member_add,
    member_remove,
    organization_create,
    organization_delete,
)
from tests.helpers import snapshot

PERMS = ("view_organization", "change_organization", "manage_members", "view_audit_log")
NAMES = ("Red", "Green", "Blue", "red")  # "red" clashes with "Red"
ACTORS = 7  # root, 2 admins, 4 users: indexes into the people list
OPS = st.one_of(
    st.tuples(st.just("create"), st.integers(0, ACTORS - 1), st.sampled_from(NAMES)),
    st.tuples(st.just("add"), st.integers(0, ACTORS - 1), st.integers(0, 3), st.integers(0, ACTORS - 1)),
    st.tuples(st.just("remove"), st.integers(0, ACTORS - 1), st.integers(0, 3), st.integers(0, ACTORS - 1)),
    st.tuples(
        st.just("role"), st.integers(0, ACTORS - 1), st.sampled_from([Role.USER, Role.ADMIN, Role.SUPERUSER])
    ),
    st.tuples(st.just("delete"), st.integers(0, ACTORS - 1), st.integers(0, 3)),
    st.tuples(st.just("grant"), st.integers(0, ACTORS - 1), st.integers(0, 3), st.integers(0, ACTORS - 1)),
    st.tuples(st.just("grant"), st.sampled_from([0, 1, 2]), st.integers(0, 1), st.integers(3, 5)),
    st.tuples(st.just("revoke"), st.integers(0, ACTORS - 1), st.integers(0, 3), st.integers(0, ACTORS - 1)),
    # A superuser moves someone with user_update (organization_id; None: out of any).
    st.tuples(st.just("move"), st.integers(0, ACTORS - 1), st.sampled_from([0, 1, 2, 3, None])),
    # A superuser creates a user in an organization, then deletes them.
    st.tuples(st.just("churn"), st.integers(0, 3)),
)


def expected_matrix(user: User, organization: Organization) -> set[str]:
    """The rule of SPEC section 3, written out independently of the code under test."""
    if user.is_superuser and user.is_active:
        return set(PERMS)
    if user.organization_id != organization.pk:
        return set()
    if user.role == Role.ADMIN:
        return set(PERMS)
    if user.manages_members:
        return {"view_organization", "manage_members"}
    return {"view_organization"}


class GrantsFollowRoleAndMembership(TestCase):
    def setUp(self):
        root = user_create(
            actor=None,
            username="root",
            email="root@x.test",
            password="pw-correct-horse-1",
            role=Role.SUPERUSER,
        )
        self.people = [root]
        for index in range(2):
            self.people.append(
                user_create(
                    actor=root,
                    username=f"admin{index}",
                    email=f"a{index}@x.test",
                    password="pw-correct-horse-1",
                    role=Role.ADMIN,
                )
            )
        for index in range(4):
            self.people.append(
                user_create(
                    actor=root,
                    username=f"user{index}",
                    email=f"u{index}@x.test",
                    password="pw-correct-horse-1",
                )
            )
        self.orgs = [organization_create(actor=root, name=f"Org{index}") for index in range(2)]
        self.churned = 0
        # Start with members in place, so that grants, removals and moves happen often:
        # admin0, user0, user1 in Org0; admin1, user2 in Org1; user3 in none.
        for person, org in ((1, 0), (3, 0), (4, 0), (2, 1), (5, 1)):
            member_add(actor=root, organization_id=self.orgs[org].pk, user_id=self.people[person].pk)

    def org_id(self, index: int) -> int:
        # Indexes past the known organizations address ids that do not exist.
        return self.orgs[index].pk if index < len(self.orgs) else 10_000 + index

    def expected_entries(self, op: tuple) -> int:
        """How many audit entries the operation writes if it succeeds, from the state before it."""
        kind = op[0]
        if kind == "create":
            actor = User.objects.get(pk=self.people[op[1]].pk)
            return 2 if actor.role == Role.ADMIN and actor.organization_id is None else 1
        if kind == "add":
            target = User.objects.get(pk=self.people[op[3]].pk)
            if target.organization_id == self.org_id(op[2]):
                return 0
            return 2 if target.organization_id is not None else 1
        if kind == "remove":
            return 1
        if kind == "role":
            return 0 if User.objects.get(pk=self.people[op[1]].pk).role == op[2] else 1
        if kind in ("grant", "revoke"):
            target = User.objects.get(pk=self.people[op[3]].pk)
            return 0 if target.manages_members == (kind == "grant") else 1
        if kind == "move":
            target = User.objects.get(pk=self.people[op[1]].pk)
            new = self.org_id(op[2]) if op[2] is not None else None
            return (
                0
                if target.organization_id == new
                else (target.organization_id is not None) + (new is not None)
            )
        if kind == "churn":
            return 3  # user_create, org_add_user, user_delete
        return 1  # delete

    def apply(self, op: tuple) -> None:
        kind = op[0]
        actor = User.objects.get(pk=self.people[op[1]].pk)
        if kind == "create":
            self.orgs.append(organization_create(actor=actor, name=op[2]))
        elif kind == "add":
            member_add(actor=actor, organization_id=self.org_id(op[2]), user_id=self.people[op[3]].pk)
        elif kind == "remove":
            member_remove(actor=actor, organization_id=self.org_id(op[2]), user_id=self.people[op[3]].pk)
        elif kind == "role":
            root = (
                User.objects.filter(is_superuser=True, is_active=True).exclude(pk=actor.pk).first() or actor
            )
            user_update(actor=root, user_id=actor.pk, role=op[2])
        elif kind == "delete":
            organization_delete(actor=actor, organization_id=self.org_id(op[2]))
        elif kind == "grant":
            delegate_grant(actor=actor, organization_id=self.org_id(op[2]), user_id=self.people[op[3]].pk)
        elif kind == "revoke":
            delegate_revoke(actor=actor, organization_id=self.org_id(op[2]), user_id=self.people[op[3]].pk)
        elif kind == "move":
            root = User.objects.filter(is_superuser=True, is_active=True).first()
            new = self.org_id(op[2]) if op[2] is not None else None
            user_update(actor=root, user_id=actor.pk, organization_id=new)
        elif kind == "churn":
            root = User.objects.filter(is_superuser=True, is_active=True).first()
            self.churned += 1
            name = f"churn{self.churned}"
            passer = user_create(
                actor=root,
                username=name,
                email=f"{name}@x.test",
                password="pw-correct-horse-1",
                organization_id=self.org_id(op[1]),
            )
            user_delete(actor=root, user_id=passer.pk)

    def check_matrix(self) -> None:
        from guardian.core import ObjectPermissionChecker

        organizations = list(Organization.objects.all())
        for user in User.objects.all():
            checker = ObjectPermissionChecker(user)
            for organization in organizations:
                held = {perm for perm in PERMS if checker.has_perm(perm, organization)}
                assert held == expected_matrix(user, organization), (
                    user.username,
                    user.role,
                    organization.name,
                )
            if user.manages_members:
                assert user.role == Role.USER and user.organization_id is not None
        self.check_member_counts()

    def check_member_counts(self) -> None:
        rows = dict(
            User.objects.exclude(organization=None)
            .values("organization")
            .annotate(n=Count("pk"))
            .values_list("organization", "n")
        )
        stored = dict(Organization.objects.values_list("pk", "member_count"))
        assert stored == {pk: rows.get(pk, 0) for pk in stored}, (stored, rows)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(OPS, min_size=1, max_size=14))
    def test_random_operation_sequences(self, ops):
        self.check_matrix()
        for op in ops:
            before = snapshot()
            entries_before = AuditLog.objects.count()
            expected = self.expected_entries(op)
            try:
                self.apply(op)
            except ServiceError:
                assert snapshot() == before, f"refused {op} changed something"
                assert AuditLog.objects.count() == entries_before, f"refused {op} was audited"
            else:
                assert AuditLog.objects.count() - entries_before == expected, op
            self.check_matrix()
        # never a member of a missing organization, never without an active superuser
        assert (
            not User.objects.filter(organization__isnull=False)
            .exclude(organization__in=Organization.objects.all())
            .exists()
        )
        assert User.objects.filter(is_superuser=True, is_active=True).exists()
