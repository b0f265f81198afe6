from typing import Any

from django.core.management.base import CommandParser

from portal.organizations.management.base import OperatorCommand
from portal.organizations.services import member_remove


class Command(OperatorCommand):
    help = "Remove a user from an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("organization", help="Organization id or name")
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        organization = self.organization(options["organization"])
        user = self.user(options["username"])
        self.run(lambda: member_remove(actor=actor, organization_id=organization.pk, user_id=user.pk))
        self.stdout.write(self.style.SUCCESS(f"Removed {user.username} from {organization.name}."))
