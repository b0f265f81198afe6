from typing import Any

from portal.organizations.management.base import OperatorCommand
from portal.organizations.selectors import organizations_visible_to


class Command(OperatorCommand):
    help = "List organizations with their member counts."

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = organizations_visible_to(self.actor(options))
        self.stdout.write(f"{'ID':>6}  {'MEMBERS':>7}  NAME")
        for organization in organizations:
            count = organization.member_count
            self.stdout.write(f"{organization.pk:>6}  {count:>7}  {organization.name}")
