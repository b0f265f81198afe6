"""What the operator commands share: the acting superuser and resolving an organization argument."""

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts.models import User
from portal.core.exceptions import ServiceError
from portal.organizations.models import Organization


class OperatorCommand(BaseCommand):
    """Runs a service as a superuser, so that the change is checked and audited like any other."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as",
            dest="actor",
            metavar="USERNAME",
            help="The superuser the change is recorded under (default: the first active superuser).",
        )

    def actor(self, options: dict[str, Any]) -> User:
        superusers = User.objects.filter(is_superuser=True, is_active=True).order_by("pk")
        if options.get("actor"):
            actor = superusers.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No active superuser named {options['actor']!r}.")
            return actor
        actor = superusers.first()
        if actor is None:
            raise CommandError(
                "There is no active superuser yet: create one first (manage.py createsuperuser)."
            )
        return actor

    def organization(self, value: str) -> Organization:
        organization = (
            Organization.objects.filter(pk=int(value)).first()
            if value.isdigit()
            else Organization.objects.filter(name__iexact=value.strip()).first()
        )
        if organization is None:
            raise CommandError(f"No organization with id or name {value!r}.")
        return organization

    def user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def run(self, call):
        try:
            return call()
        except ServiceError as exc:
            raise CommandError(exc.message) from exc


class MembershipCommand(OperatorCommand):
    """``<organization> <username>``: one membership service, one sentence when done."""

    # member_add or member_remove, and what to say after it, with {user} and {organization}.
    service: Callable[..., Any]
    message: str

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("organization", help="Organization id or name")
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        organization = self.organization(options["organization"])
        user = self.user(options["username"])
        service = type(self).service
        self.run(lambda: service(actor=actor, organization_id=organization.pk, user_id=user.pk))
        self.stdout.write(
            self.style.SUCCESS(self.message.format(user=user.username, organization=organization.name))
        )
