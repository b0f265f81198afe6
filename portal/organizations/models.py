from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000


class Organization(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.TextField(null=True, blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The number of users whose organization this is, kept by
    # services.membership_set (and user_delete) in the transaction of the
    # change, with F() arithmetic: reads never count the member rows.
    member_count = models.IntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_ci_unique"),
            models.CheckConstraint(condition=Q(member_count__gte=0), name="organization_member_count_gte_0"),
        ]
        indexes = [models.Index(fields=["name"], name="organization_name_idx")]
        permissions = [
            ("manage_members", "Can add and remove members"),
            ("view_audit_log", "Can read the organization's audit log"),
        ]

    def __str__(self) -> str:
        return self.name


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
