"""The portal views' shared helpers (portal.core.portal)."""

import pytest
from django.urls import NoReverseMatch, reverse

from portal.core.portal import id_url

IDS = (0, 1, 8, 62, 86, 8624590713538402180, 8624590713538402181, 2**63 - 1)


@pytest.mark.parametrize(
    "name", ["organizations:member_remove", "organizations:delegate_grant", "organizations:delegate_revoke"]
)
@pytest.mark.parametrize("organization_id", IDS)
def test_id_url_builds_what_reverse_builds(name, organization_id):
    for user_id in IDS:
        assert id_url(name, organization_id, user_id) == reverse(name, args=[organization_id, user_id])


@pytest.mark.parametrize("name", ["organizations:detail", "organizations:edit", "organizations:member_add"])
def test_id_url_with_one_id(name):
    for organization_id in IDS:
        assert id_url(name, organization_id) == reverse(name, args=[organization_id])


def test_id_url_without_ids_is_the_plain_url():
    assert id_url("organizations:list") == reverse("organizations:list")


def test_id_url_refuses_what_reverse_refuses():
    with pytest.raises(NoReverseMatch):
        id_url("organizations:list", 3)
    with pytest.raises(NoReverseMatch):
        id_url("organizations:member_remove", 3)


def test_id_url_writes_only_integers():
    with pytest.raises(ValueError):
        id_url("organizations:member_remove", 3, "4/../../admin")  # type: ignore[arg-type]
