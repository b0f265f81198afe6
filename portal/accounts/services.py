"""User and credential writes: permission, validation, locking, grants and audit in one transaction."""

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portal.accounts.models import CAPABILITY_FLAGS, LoginFailure, Role, Token, TokenKind, User, hash_token
from portal.accounts.rules import clean_email, clean_username
from portal.accounts.selectors import USER_NOT_FOUND, users_visible_filter
from portal.audit.models import Action
from portal.audit.services import audit_record
from portal.core import sql
from portal.core.exceptions import Conflict, Invalid, NotFound, PermissionDenied, Throttled, Unauthenticated
from portal.organizations.models import Organization
from portal.organizations.permissions import sync_grants
from portal.organizations.services import UNSET, member_count_move, membership_set

NOT_AUTHENTICATED = "Not authenticated"
BAD_CREDENTIALS = "Incorrect username or password"
INVALID_TOKEN = "Could not validate credentials"
USERNAME_TAKEN = "Username already registered"
EMAIL_TAKEN = "Email already registered"
ORGANIZATION_NOT_FOUND = "Organization not found"
CANNOT_CREATE_USERS = "Only superusers and admins can create users."
ADMIN_CREATES_USERS_ONLY = "Admins can only create users with the user role."
ADMIN_OWN_ORG_ONLY = "Admins can only create users in their own organization or in none."
ONLY_SUPERUSERS_DELETE_USERS = "Only superusers can delete users."
CANNOT_DELETE_SELF = "You cannot delete your own account."
LAST_SUPERUSER = "The system must keep at least one active superuser."
TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Try again later."
TOKEN_NOT_FOUND = "Token not found"
TOKEN_MAX_DAYS = 365
TOKEN_NAME_INVALID = "Give the token a name of 1 to 100 characters."
TOKEN_EXPIRY_INVALID = f"A token expires after 1 to {TOKEN_MAX_DAYS} days."
FIELD_FORBIDDEN = "You are not allowed to change {field}."
CANNOT_MANAGE_SUPERUSER = "Only a superuser can change a superuser."

ACCESS_PREFIX = "op_at_"
REFRESH_PREFIX = "op_rt_"
PERSONAL_PREFIX = "op_pat_"
_PREFIXES: dict[str, str] = {
    TokenKind.ACCESS: ACCESS_PREFIX,
    TokenKind.REFRESH: REFRESH_PREFIX,
    TokenKind.PERSONAL: PERSONAL_PREFIX,
}
# Refresh only the stored "last used" time when it is this stale: a bearer
# request must not be a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


# --- validation shared by create and update ------------------------------


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), field="password") from exc


def _check_unique(
    *, username: str | None = None, email: str | None = None, exclude_pk: int | None = None
) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk is not None else User.objects.all()
    if username is not None and others.filter(username=username).exists():
        raise Conflict(USERNAME_TAKEN, field="username")
    if email is not None and others.filter(email__iexact=email).exists():
        raise Conflict(EMAIL_TAKEN, field="email")


def _save_user(user: User, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError as exc:
        # Lost a race for the username or e-mail address; say which.
        if User.objects.filter(username=user.username).exclude(pk=user.pk).exists():
            raise Conflict(USERNAME_TAKEN, field="username") from exc
        raise Conflict(EMAIL_TAKEN, field="email") from exc


def _organization(organization_id: int | None) -> Organization | None:
    # Not locked here: membership_set locks it when it counts the member in
    # (after the user: one lock order), and answers NotFound if it is gone.
    if organization_id is None:
        return None
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise NotFound(ORGANIZATION_NOT_FOUND, field="organization_id")
    return organization


def _lock_users_table() -> None:
    # First-user bootstrap: two simultaneous set-ups must create one user.
    # SQLite's immediate transactions already serialize writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {User._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def bootstrap_open() -> bool:
    """True while no user exists: the first user may then be created without signing in."""
    return not User.objects.exists()


# --- users -----------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    password: str,
    role: str = Role.USER,
    organization_id: int | None = None,
    is_active: bool = True,
    bootstrap_any: bool = False,
    **flags: bool,
) -> User:
    """Superusers create anyone; admins create role-user accounts in their organization or none;
    while no user exists, anyone creates the first one."""
    if actor is None:
        _lock_users_table()
        if not bootstrap_any and User.objects.exists():
            raise Unauthenticated(NOT_AUTHENTICATED)
    elif actor.role == Role.ADMIN:
        if role != Role.USER:
            raise PermissionDenied(ADMIN_CREATES_USERS_ONLY, field="role")
        if organization_id not in (None, actor.organization_id):
            raise PermissionDenied(ADMIN_OWN_ORG_ONLY, field="organization_id")
    elif not actor.is_superuser:
        raise PermissionDenied(CANNOT_CREATE_USERS)
    username = clean_username(username)
    email = clean_email(email)
    unknown = set(flags) - set(CAPABILITY_FLAGS)
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}")
    _check_unique(username=username, email=email)
    user = User(
        username=username,
        email=email,
        role=role,
        is_superuser=role == Role.SUPERUSER,
        is_active=is_active,
        **flags,
    )
    _validate_password(password, user)
    user.password = make_password(password)
    organization = _organization(organization_id)
    _save_user(user)
    audit_record(
        actor=actor or user,
        action=Action.USER_CREATE,
        organization_id=organization_id,
        resource_type="user",
        resource_id=user.pk,
        detail=f"Created user {user.username} with role {user.role}",
    )
    if organization is not None:
        membership_set(actor=actor or user, user=user, organization=organization)
    return user


def _allowed_fields(actor: User, target: User) -> set[str]:
    if actor.is_superuser:
        return {"username", "email", "password", "role", "is_active", "organization_id", *CAPABILITY_FLAGS}
    allowed: set[str] = set()
    if actor.pk == target.pk:
        allowed |= {"email", "password"}
    if (
        actor.role == Role.ADMIN
        and actor.organization_id is not None
        and target.organization_id == actor.organization_id
        and target.role != Role.SUPERUSER
    ):
        allowed |= {"email", "password", *CAPABILITY_FLAGS}
    return allowed


def user_editable_fields(*, actor: User, target: User) -> frozenset[str]:
    """The fields of ``target`` that ``actor`` may change; forms show only these (user_update still decides)."""
    return frozenset(_allowed_fields(actor, target))


def _ensure_superuser_remains(target: User) -> None:
    """Refuse a change that would leave no active superuser (the rows are locked first)."""
    others = list(
        User.objects.select_for_update()
        .filter(is_superuser=True, is_active=True)
        .exclude(pk=target.pk)
        .values_list("pk", flat=True)
    )
    if not others:
        raise Conflict(LAST_SUPERUSER)


def _revoke_all_tokens(user: User) -> None:
    Token.objects.filter(user=user).delete()


@transaction.atomic
def user_update(*, actor: User, user_id: int, **fields: Any) -> User:
    """Change a user's fields within what the actor may change (SPEC section 5); unchanged values are ignored."""
    target = User.objects.select_for_update().filter(users_visible_filter(actor), pk=user_id).first()
    if target is None:
        raise NotFound(USER_NOT_FOUND)
    requested = {name: value for name, value in fields.items() if value is not UNSET}
    changed = {
        name: value
        for name, value in requested.items()
        if name == "password" or getattr(target, name) != value
    }
    allowed = _allowed_fields(actor, target)
    for name in changed:
        if name not in allowed:
            if target.role == Role.SUPERUSER and not actor.is_superuser and actor.pk != target.pk:
                raise PermissionDenied(CANNOT_MANAGE_SUPERUSER)
            raise PermissionDenied(FIELD_FORBIDDEN.format(field=name), field=name)
    if not changed:
        return target

    if "username" in changed:
        changed["username"] = clean_username(changed["username"])
        _check_unique(username=changed["username"], exclude_pk=target.pk)
    if "email" in changed:
        changed["email"] = clean_email(changed["email"])
        _check_unique(email=changed["email"], exclude_pk=target.pk)
    loses_superuser = (
        target.is_superuser
        and target.is_active
        and (changed.get("role", Role.SUPERUSER) != Role.SUPERUSER or changed.get("is_active", True) is False)
    )
    if loses_superuser:
        _ensure_superuser_remains(target)
    new_organization = _organization(changed["organization_id"]) if "organization_id" in changed else UNSET

    audit_changes: dict[str, dict[str, Any]] = {}
    for name in ("username", "email", "role", "is_active", *CAPABILITY_FLAGS):
        if name in changed:
            audit_changes[name] = {"old": getattr(target, name), "new": changed[name]}
            setattr(target, name, changed[name])
    revoke_credentials = False
    if "password" in changed:
        _validate_password(changed["password"], target)
        target.set_password(changed["password"])
        revoke_credentials = True
    if "role" in changed:
        target.is_superuser = target.role == Role.SUPERUSER
        if target.role != Role.USER and target.manages_members:
            target.manages_members = False
            audit_changes["manages_members"] = {"old": True, "new": False}
    if changed.get("is_active") is False:
        revoke_credentials = True

    _save_user(target)
    if audit_changes or "password" in changed:
        audit_record(
            actor=actor,
            action=Action.USER_UPDATE,
            organization_id=target.organization_id,
            resource_type="user",
            resource_id=target.pk,
            detail=f"Updated user {target.username}: "
            + ", ".join(sorted([*audit_changes, *(["password"] if "password" in changed else [])])),
            changes=audit_changes,
        )
    if new_organization is not UNSET:
        membership_set(actor=actor, user=target, organization=new_organization)
    if "role" in changed:
        sync_grants(target)
    if revoke_credentials:
        # Django ends the user's other sessions by itself: a session remembers
        # a hash of the password, and inactive users are not loaded.
        _revoke_all_tokens(target)
    return target


@transaction.atomic
def user_delete(*, actor: User, user_id: int) -> None:
    """Superusers delete any account but their own; the last active superuser stays."""
    if not actor.is_superuser:
        raise PermissionDenied(ONLY_SUPERUSERS_DELETE_USERS)
    target = User.objects.select_for_update().filter(pk=user_id).first()
    if target is None:
        raise NotFound(USER_NOT_FOUND)
    if target.pk == actor.pk:
        raise Conflict(CANNOT_DELETE_SELF)
    if target.is_superuser and target.is_active:
        _ensure_superuser_remains(target)
    audit_record(
        actor=actor,
        action=Action.USER_DELETE,
        organization_id=target.organization_id,
        resource_type="user",
        resource_id=target.pk,
        detail=f"Deleted user {target.username} (role {target.role})",
    )
    member_count_move(from_id=target.organization_id, to_id=None)
    target.delete()


# --- sign-in and throttling -------------------------------------------------


def _throttle_check(username: str, ip_address: str | None) -> None:
    since = timezone.now() - settings.LOGIN_THROTTLE_WINDOW
    recent = LoginFailure.objects.filter(created_at__gte=since)
    by_name = recent.filter(username=username).order_by("created_at").values_list("created_at", flat=True)
    oldest = None
    names = list(by_name[: settings.LOGIN_THROTTLE_PER_USERNAME])
    if len(names) >= settings.LOGIN_THROTTLE_PER_USERNAME:
        oldest = names[0]
    elif ip_address:
        by_ip = (
            recent.filter(ip_address=ip_address).order_by("created_at").values_list("created_at", flat=True)
        )
        addresses = list(by_ip[: settings.LOGIN_THROTTLE_PER_ADDRESS])
        if len(addresses) >= settings.LOGIN_THROTTLE_PER_ADDRESS:
            oldest = addresses[0]
    if oldest is not None:
        retry_after = int((oldest + settings.LOGIN_THROTTLE_WINDOW - timezone.now()).total_seconds()) + 1
        raise Throttled(TOO_MANY_ATTEMPTS, retry_after=max(retry_after, 1))


# A hash to check against when the username is unknown, so that the answer
# takes as long as for a known user.
_DUMMY_HASH = make_password(secrets.token_urlsafe(16))


def login_check(*, username: str, password: str) -> User:
    """The user with these credentials, or Unauthenticated; throttled per username and address.

    A failure is recorded at once (it counts for the throttle even if its
    audit entry then fails), and audited in its own transaction, so that
    the error that follows cannot roll either back.
    """
    from portal.core import context

    ip_address = context.current().ip_address
    username = username[:150]
    _throttle_check(username, ip_address)
    user = User.objects.filter(username=username).first()
    valid = (
        check_password(password, user.password) if user is not None else check_password(password, _DUMMY_HASH)
    )
    if user is None or not valid or not user.is_active:
        # The attempt counts for the throttle even if its audit entry cannot
        # be written: guessing must never become free while the log fails.
        LoginFailure.objects.create(username=username, ip_address=ip_address)
        with transaction.atomic():
            audit_record(
                actor=None,
                username=username,
                action=Action.LOGIN_FAILURE,
                organization_id=user.organization_id if user is not None else None,
                resource_type="user",
                resource_id=user.pk if user is not None else "",
                detail=f"Failed sign-in for {username}",
            )
        raise Unauthenticated(BAD_CREDENTIALS)
    with transaction.atomic():
        LoginFailure.objects.filter(username=username).delete()
        audit_record(
            actor=user,
            action=Action.LOGIN_SUCCESS,
            organization_id=user.organization_id,
            resource_type="user",
            resource_id=user.pk,
            detail=f"{user.username} signed in",
        )
    return user


# --- tokens ----------------------------------------------------------------


def _new_raw_token(kind: str) -> str:
    return _PREFIXES[kind] + secrets.token_urlsafe(32)


def _store_token(
    user: User, kind: str, lifetime: timedelta, family: str, name: str = ""
) -> tuple[str, Token]:
    raw = _new_raw_token(kind)
    token = Token.objects.create(
        user=user,
        kind=kind,
        key_hash=hash_token(raw),
        family=family,
        name=name,
        prefix=raw[: len(_PREFIXES[kind]) + 4],
        expires_at=timezone.now() + lifetime,
    )
    return raw, token


@transaction.atomic
def _issue_pair(user: User) -> dict[str, Any]:
    family = secrets.token_hex(16)
    access, _ = _store_token(user, TokenKind.ACCESS, settings.ACCESS_TOKEN_LIFETIME, family)
    refresh, _ = _store_token(user, TokenKind.REFRESH, settings.REFRESH_TOKEN_LIFETIME, family)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    }


def token_pair_issue(*, username: str, password: str) -> dict[str, Any]:
    """OAuth2 password flow: credentials in, an access and refresh token out.

    Not one transaction: a failed attempt must stay recorded for the throttle.
    """
    user = login_check(username=username, password=password)
    return _issue_pair(user)


@transaction.atomic
def token_refresh(*, refresh_token: str) -> dict[str, Any]:
    """Rotate: the presented refresh token and its access token die, a new pair is issued."""
    token = (
        Token.objects.select_for_update()
        .select_related("user")
        .filter(key_hash=hash_token(refresh_token), kind=TokenKind.REFRESH, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        raise Unauthenticated(INVALID_TOKEN)
    deleted, _ = Token.objects.filter(family=token.family).delete()
    if not deleted:
        raise Unauthenticated(INVALID_TOKEN)
    return _issue_pair(token.user)


def _token_lookup_sql() -> str:
    """The token and its user in one statement, written out once per process.

    Every API request runs it, and building it through the ORM (a join,
    26 columns, three conditions) costs ten times more than running it.
    Table and column names come from the models; placeholders, in order:
    "last used" staleness cutoff, key hash, now, the two bearer kinds.
    """

    def t(name: str) -> str:
        return sql.column(Token, "t", name)

    return (
        f"SELECT {sql.columns(User, 'u')}, {t('id')} AS token_id, {t('kind')} AS token_kind, "  # noqa: S608 (names from the models)
        f"{t('family')} AS token_family, "
        f"CASE WHEN {t('last_used_at')} IS NULL OR {t('last_used_at')} < %s THEN 1 ELSE 0 END AS token_stale "
        f"FROM {sql.table(Token)} t INNER JOIN {sql.table(User)} u ON {sql.column(User, 'u', 'id')} = {t('user')} "
        f"WHERE {t('key_hash')} = %s AND {t('expires_at')} > %s AND {t('kind')} IN (%s, %s)"
    )


_TOKEN_LOOKUP_SQL: dict[str, str] = {}


def token_authenticate(raw: str) -> User | None:
    """The active user an access or personal token belongs to, with one indexed lookup (the unique key hash)."""
    now = timezone.now()
    vendor = connection.vendor
    if vendor not in _TOKEN_LOOKUP_SQL:
        _TOKEN_LOOKUP_SQL[vendor] = _token_lookup_sql()
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        adapt(now - LAST_USED_GRANULARITY),
        hash_token(raw),
        adapt(now),
        TokenKind.ACCESS,
        TokenKind.PERSONAL,
    ]
    found = sql.fetch_one(User, _TOKEN_LOOKUP_SQL[vendor], params)
    if found is None:
        return None
    user, (token_id, kind, family, stale) = found
    if not user.is_active:
        return None
    if kind == TokenKind.PERSONAL and stale:
        Token.objects.filter(pk=token_id).update(last_used_at=now)
    # What logout needs; the other fields load on access, and save() would write only these.
    user.auth_token = Token.from_db(  # type: ignore[attr-defined]
        user._state.db, ["id", "user_id", "kind", "family"], [token_id, user.pk, kind, family]
    )
    return user


@transaction.atomic
def token_logout(*, actor: User) -> None:
    """Revoke the presented access token and the refresh token issued with it."""
    token = getattr(actor, "auth_token", None)
    if token is None:
        return
    if token.kind == TokenKind.PERSONAL:
        Token.objects.filter(pk=token.pk).delete()
    else:
        Token.objects.filter(family=token.family).delete()


@transaction.atomic
def personal_token_create(*, actor: User, name: str, expires_in_days: int) -> tuple[str, Token]:
    """A named bearer token for scripts; the raw value is returned once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise Invalid(TOKEN_NAME_INVALID, field="name")
    if not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        raise Invalid(TOKEN_EXPIRY_INVALID, field="expires_in_days")
    raw, token = _store_token(
        actor, TokenKind.PERSONAL, timedelta(days=expires_in_days), secrets.token_hex(16), name=name
    )
    audit_record(
        actor=actor,
        action=Action.TOKEN_CREATE,
        organization_id=actor.organization_id,
        resource_type="token",
        resource_id=token.pk,
        detail=f"Created personal API token {name!r} ({token.prefix}…), expires {token.expires_at:%Y-%m-%d}",
    )
    return raw, token


@transaction.atomic
def personal_token_revoke(*, actor: User, token_id: int) -> None:
    """Revoke one of the actor's own personal tokens."""
    token = Token.objects.filter(pk=token_id, user=actor, kind=TokenKind.PERSONAL).first()
    if token is None:
        raise NotFound(TOKEN_NOT_FOUND)
    token.delete()
    audit_record(
        actor=actor,
        action=Action.TOKEN_REVOKE,
        organization_id=actor.organization_id,
        resource_type="token",
        resource_id=token_id,
        detail=f"Revoked personal API token {token.name!r} ({token.prefix}…)",
    )
