from portal.organizations.management.base import MembershipCommand
from portal.organizations.services import member_add


class Command(MembershipCommand):
    help = "Add a user to an organization (moving them out of another one if needed)."
    service = member_add
    message = "{user} is a member of {organization}."
