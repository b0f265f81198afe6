"""Seed a database for the benchmark (bench/run.sh): many organizations and users, fast.

Rows go in with bulk_create inside one transaction, so this bypasses the
services on purpose; the guardian grants are therefore derived here with
the services' own rule (``expected_perms``), and each organization's
stored ``member_count`` from its member rows; both are then checked
row for row before the transaction commits. Every account shares one
password, hashed once.

Not for a database that holds real data: it refuses unless the database
has no users, or ``--force`` wipes what a previous run seeded.
"""

import json
import time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal.accounts.models import Role, User
from portal.organizations.models import Organization, OrganizationUserObjectPermission
from portal.organizations.permissions import ALL_ORG_PERMS, expected_perms

BATCH = 2000
PREFIX = "bench_"
EXTRA_ADMINS = 2  # in the big and the small organization, besides bench_<big|small>_admin
DELEGATES = 3


def _member_rows() -> QuerySet:
    """The number of users in the organization of the outer query (for Subquery)."""
    return (
        User.objects.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )


class Command(BaseCommand):
    help = "Seed a benchmark database: N organizations, M users, one big and one small organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organizations", type=int, default=10_000)
        parser.add_argument("--users", type=int, default=50_000)
        parser.add_argument("--big-members", type=int, default=10_000)
        parser.add_argument("--small-members", type=int, default=200)
        parser.add_argument(
            "--members-per-org", type=int, default=3, help="members of every other organization"
        )
        parser.add_argument("--password", required=True, help="the one password every account gets")
        parser.add_argument("--output", help="write the ids and usernames the benchmark needs as JSON here")
        parser.add_argument("--force", action="store_true", help="delete a previous seed first")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        n_orgs, n_users = opts["organizations"], opts["users"]
        big, small, per_org = opts["big_members"], opts["small_members"], opts["members_per_org"]
        if n_orgs < 2 or big < 2 or small < 2:
            raise CommandError("Need at least 2 organizations and 2 members in the big and small ones.")
        # Superuser, the big and small organizations, and a pool of users in no organization to add.
        if n_users < 1 + big + small + 100:
            raise CommandError("Not enough users for the organizations asked for.")
        with transaction.atomic():
            if User.objects.exists():
                if not opts["force"]:
                    raise CommandError("The database already has users; pass --force to replace them.")
                OrganizationUserObjectPermission.objects.all().delete()
                User.objects.all().delete()
                Organization.objects.all().delete()
            info = self._seed(n_orgs, n_users, big, small, per_org, opts["password"])
            self._check_grants()
            self._check_member_counts()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {n_orgs} organizations, {n_users} users, "
            f"{OrganizationUserObjectPermission.objects.count()} grants in {elapsed:.1f}s; grants checked."
        )
        if opts["output"]:
            with open(opts["output"], "w") as out:
                json.dump(info, out, indent=2)

    def _seed(self, n_orgs: int, n_users: int, big: int, small: int, per_org: int, password: str) -> dict:
        password_hash = make_password(password)
        orgs = [Organization(name="Bench Big", description="The organization with many members.")]
        orgs.append(Organization(name="Bench Small", description="The organization with a few members."))
        orgs += [
            Organization(name=f"Bench Org {i:05d}", description=f"Seeded organization number {i}.")
            for i in range(1, n_orgs - 1)
        ]
        Organization.objects.bulk_create(orgs, batch_size=BATCH)
        ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
        big_id, small_id, other_ids = ids[0], ids[1], ids[2:]

        serial = iter(range(1, n_users + 1))
        users: list[User] = []

        def add(
            username: str | None = None,
            *,
            role: str = Role.USER,
            org: int | None = None,
            manages: bool = False,
        ) -> None:
            n = next(serial)
            name = username or f"{PREFIX}u{n:06d}"
            users.append(
                User(
                    username=name,
                    email=f"{name}@bench.example",
                    password=password_hash,
                    role=role,
                    is_superuser=role == Role.SUPERUSER,
                    organization_id=org,
                    manages_members=manages,
                    can_create_cert=n % 2 == 0,
                    can_revoke_cert=n % 3 == 0,
                )
            )

        add(f"{PREFIX}root", role=Role.SUPERUSER)
        for org_id, count, label in ((big_id, big, "big"), (small_id, small, "small")):
            add(f"{PREFIX}{label}_admin", role=Role.ADMIN, org=org_id)
            add(f"{PREFIX}{label}_member", org=org_id)
            # The same few more admins and delegated member managers in both,
            # so that the two differ only in the number of plain members.
            for i in range(count - 2):
                role: str = Role.ADMIN if i < EXTRA_ADMINS else Role.USER
                add(role=role, org=org_id, manages=EXTRA_ADMINS <= i < EXTRA_ADMINS + DELEGATES)
        left = n_users - len(users)
        unassigned = max(left - per_org * len(other_ids), 100)
        assigned = left - unassigned
        for i in range(assigned):
            org_id = other_ids[i % len(other_ids)]
            first = i < len(other_ids)
            add(role=Role.ADMIN if first else Role.USER, org=org_id, manages=not first and i % 7 == 0)
        for i in range(unassigned):
            add(role=Role.ADMIN if i % 20 == 19 else Role.USER)
        User.objects.bulk_create(users, batch_size=BATCH)
        # What membership_set keeps, one organization at a time, written here for all at once.
        Organization.objects.update(member_count=Coalesce(Subquery(_member_rows()), 0))

        perm_ids = dict(
            Permission.objects.filter(
                content_type__app_label="organizations", codename__in=ALL_ORG_PERMS
            ).values_list("codename", "pk")
        )
        grants = []
        rows = User.objects.values_list("pk", "role", "organization_id", "manages_members").iterator()
        for pk, role, org_id, manages in rows:
            for codename in sorted(
                expected_perms(role=role, organization_id=org_id, manages_members=manages)
            ):
                grants.append(
                    OrganizationUserObjectPermission(
                        user_id=pk, permission_id=perm_ids[codename], content_object_id=org_id
                    )
                )
        OrganizationUserObjectPermission.objects.bulk_create(grants, batch_size=BATCH)

        names = [f"{PREFIX}root"] + [
            f"{PREFIX}{a}_{b}" for a in ("big", "small") for b in ("admin", "member")
        ]
        accounts = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        spare = list(
            User.objects.filter(organization__isnull=True, role=Role.USER)
            .order_by("pk")
            .values_list("pk", flat=True)[:64]
        )
        return {
            "organizations": n_orgs,
            "users": n_users,
            "big_org_id": big_id,
            "big_members": big,
            "small_org_id": small_id,
            "small_members": small,
            "accounts": {
                name.removeprefix(PREFIX): {"username": name, "id": pk} for name, pk in accounts.items()
            },
            "unassigned_user_ids": spare,
        }

    def _check_member_counts(self) -> None:
        drifted = Organization.objects.exclude(member_count=Coalesce(Subquery(_member_rows()), 0))
        if drifted.exists():
            raise CommandError(f"Seeded member counts differ from the member rows (e.g. {drifted.first()}).")

    def _check_grants(self) -> None:
        """The grants must be exactly what role and membership give, as the services keep them."""
        codenames = dict(Permission.objects.filter(codename__in=ALL_ORG_PERMS).values_list("pk", "codename"))
        held: dict[tuple[int, int], set[str]] = {}
        for user_id, perm_id, org_id in OrganizationUserObjectPermission.objects.values_list(
            "user_id", "permission_id", "content_object_id"
        ).iterator():
            held.setdefault((user_id, org_id), set()).add(codenames.get(perm_id, f"?{perm_id}"))
        wanted: dict[tuple[int, int], set[str]] = {}
        rows = User.objects.values_list("pk", "role", "organization_id", "manages_members").iterator()
        for pk, role, org_id, manages in rows:
            perms = expected_perms(role=role, organization_id=org_id, manages_members=manages)
            if perms:
                wanted[(pk, org_id)] = set(perms)
        if held != wanted:
            diff = [key for key in held.keys() | wanted.keys() if held.get(key) != wanted.get(key)]
            raise CommandError(f"Seeded grants drifted from role and membership (e.g. {sorted(diff)[:5]}).")
