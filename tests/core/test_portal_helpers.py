"""The portal views' shared helpers (portal.core.portal)."""

import pytest
from django.urls import NoReverseMatch, reverse

from portal.core.portal import url_with_id


@pytest.mark.parametrize("name", ["organizations:member_remove", "organizations:delegate_grant"])
@pytest.mark.parametrize("organization_id", [1, 8, 86, 2**63 - 1])
def test_url_with_id_builds_what_reverse_builds(name, organization_id):
    url_for = url_with_id(name, organization_id)
    for user_id in (0, 1, 8, 62, 86, 8624590713538402187, 2**63 - 1):
        assert url_for(user_id) == reverse(name, args=[organization_id, user_id])


def test_url_with_id_refuses_a_url_without_an_id():
    with pytest.raises(NoReverseMatch):
        url_with_id("organizations:list")


def test_url_with_id_serves_any_url_whose_last_argument_is_an_id():
    assert url_with_id("organizations:detail")(42) == reverse("organizations:detail", args=[42])


def test_url_with_id_writes_only_integers():
    url_for = url_with_id("organizations:member_remove", 3)
    with pytest.raises(ValueError):
        url_for("4/../../admin")  # type: ignore[arg-type]
