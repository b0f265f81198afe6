from portal.organizations.management.base import MembershipCommand
from portal.organizations.services import member_remove


class Command(MembershipCommand):
    help = "Remove a user from an organization."
    service = member_remove
    message = "Removed {user} from {organization}."
