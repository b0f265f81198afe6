"""The migration that adds Organization.member_count fills it from the member rows already there."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("organizations", "0001_initial")]
AFTER = [("organizations", "0002_member_count")]


@pytest.mark.django_db(transaction=True)
def test_member_count_is_backfilled_from_the_member_rows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # The models as they were then: the organization before the count, the user with its organization.
    old = executor.loader.project_state([*BEFORE, ("accounts", "0002_initial")]).apps
    Organization, User = old.get_model("organizations", "Organization"), old.get_model("accounts", "User")
    crowded, single, _empty = (
        Organization.objects.create(name=name) for name in ("Crowded", "Single", "Empty")
    )
    for index, organization in enumerate([crowded, crowded, crowded, single, None]):
        User.objects.create(username=f"u{index}", email=f"u{index}@x.test", organization=organization)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("organizations", "Organization")
    counts = dict(new.objects.values_list("name", "member_count"))
    assert counts == {"Crowded": 3, "Single": 1, "Empty": 0}
