from typing import Any

from django.core.management.base import CommandParser

from portal.organizations.management.base import OperatorCommand
from portal.organizations.services import organization_create


class Command(OperatorCommand):
    help = "Create an organization (audited as the acting superuser)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("name")
        parser.add_argument("--description", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        organization = self.run(
            lambda: organization_create(actor=actor, name=options["name"], description=options["description"])
        )
        self.stdout.write(
            self.style.SUCCESS(f"Created organization {organization.name} (id {organization.pk}).")
        )
