from typing import Any

from django.core.management.base import CommandParser

from portal.organizations.management.base import OperatorCommand
from portal.organizations.services import member_add


class Command(OperatorCommand):
    help = "Add a user to an organization (moving them out of another one if needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("organization", help="Organization id or name")
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        organization = self.organization(options["organization"])
        user = self.user(options["username"])
        self.run(lambda: member_add(actor=actor, organization_id=organization.pk, user_id=user.pk))
        self.stdout.write(self.style.SUCCESS(f"{user.username} is a member of {organization.name}."))
