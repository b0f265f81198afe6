import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from portal.accounts.models import Role, User
from portal.accounts.services import user_create
from portal.organizations.models import Organization
from portal.organizations.services import delegate_grant, member_add, organization_create

ORGANIZATIONS = {
    "Engineering": "Builds and runs the certificate platform.",
    "Finance": "Budgets, invoices and the payment gateway's certificates.",
    "Operations": "Datacenter and network devices.",
}
PEOPLE = [
    # username, role, organization
    ("grace", Role.ADMIN, "Engineering"),
    ("linus", Role.USER, "Engineering"),
    ("ada", Role.USER, "Engineering"),
    ("barbara", Role.USER, "Engineering"),
    ("ken", Role.ADMIN, "Finance"),
    ("margaret", Role.USER, "Finance"),
    ("dennis", Role.ADMIN, "Operations"),
    ("radia", Role.USER, "Operations"),
    ("alan", Role.USER, None),
    ("frances", Role.USER, None),
]


class Command(BaseCommand):
    help = "Create a small, realistic demo data set through the services (audited like real use)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", help="Password for every demo account (default: a random one, printed)."
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or secrets.token_urlsafe(12)
        root = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if root is None:
            root = user_create(
                actor=None, username="root", email="root@example.test", password=password, role=Role.SUPERUSER
            )
            self.stdout.write(f"Created superuser root with password {password}")
        for name, description in ORGANIZATIONS.items():
            if not Organization.objects.filter(name__iexact=name).exists():
                organization_create(actor=root, name=name, description=description)
        created = 0
        for username, role, organization_name in PEOPLE:
            if User.objects.filter(username=username).exists():
                continue
            user = user_create(
                actor=root,
                username=username,
                email=f"{username}@example.test",
                password=password,
                role=role,
                can_create_cert=role == Role.USER,
            )
            if organization_name:
                organization = Organization.objects.get(name__iexact=organization_name)
                member_add(actor=root, organization_id=organization.pk, user_id=user.pk)
            created += 1
        engineering = Organization.objects.get(name__iexact="Engineering")
        linus = User.objects.get(username="linus")
        if linus.organization_id == engineering.pk and not linus.manages_members:
            delegate_grant(actor=root, organization_id=engineering.pk, user_id=linus.pk)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(ORGANIZATIONS)} organizations, {created} new users.")
        )
        if created:
            self.stdout.write(f"Demo accounts (e.g. grace, an Engineering admin) use the password {password}")
