import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Role(models.TextChoices):
    SUPERUSER = "superuser", "Superuser"
    ADMIN = "admin", "Admin"
    USER = "user", "User"


CAPABILITY_FLAGS = (
    "can_create_ca",
    "can_create_cert",
    "can_revoke_cert",
    "can_export_private_key",
    "can_delete_ca",
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(username=username)

    # createsuperuser and tests build users through the service layer;
    # these exist for Django's own tooling only.
    def create_user(self, username: str, email: str, password: str | None = None, **extra) -> "User":
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str, password: str | None = None, **extra) -> "User":
        from portal.accounts.services import user_create

        return user_create(
            actor=None,
            username=username,
            email=email,
            password=password or "",
            role=Role.SUPERUSER,
            bootstrap_any=True,
        )


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=150, unique=True, validators=[UnicodeUsernameValidator()])
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    is_active = models.BooleanField(default=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    # Delegated member management (SPEC section 3): only for role `user`
    # members; ends with the membership.
    manages_members = models.BooleanField(default=False)
    can_create_ca = models.BooleanField(default=False)
    can_create_cert = models.BooleanField(default=False)
    can_revoke_cert = models.BooleanField(default=False)
    can_export_private_key = models.BooleanField(default=False)
    can_delete_ca = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # Role `superuser` is Django's is_superuser: one truth, kept by the database.
            models.CheckConstraint(
                condition=Q(role=Role.SUPERUSER, is_superuser=True)
                | (~Q(role=Role.SUPERUSER) & Q(is_superuser=False)),
                name="user_role_matches_is_superuser",
            ),
            models.CheckConstraint(
                condition=Q(manages_members=False) | Q(role=Role.USER, organization__isnull=False),
                name="user_delegation_needs_membership",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "username"], name="user_org_username_idx"),
            # An organization's member managers, listed on its page: found without reading every member.
            models.Index(
                fields=["organization", "manages_members", "username"], name="user_org_managers_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        # The Django admin site is for superusers only.
        return self.is_superuser and self.is_active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class TokenKind(models.TextChoices):
    ACCESS = "access", "Access"
    REFRESH = "refresh", "Refresh"
    PERSONAL = "personal", "Personal"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class Token(models.Model):
    """A bearer credential; only its SHA-256 hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=16, choices=TokenKind.choices)
    key_hash = models.CharField(max_length=64, unique=True)
    # An access token and the refresh token issued with it share a family,
    # so that logout and rotation end both.
    family = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "kind"], name="token_user_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} token {self.prefix}… of user {self.user_id}"


class LoginFailure(models.Model):
    """One failed sign-in; counted in a sliding window to throttle guessing, shared by all workers."""

    username = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "created_at"], name="loginfail_user_idx"),
            models.Index(fields=["ip_address", "created_at"], name="loginfail_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"failed sign-in for {self.username} at {self.created_at:%Y-%m-%d %H:%M:%S}"
