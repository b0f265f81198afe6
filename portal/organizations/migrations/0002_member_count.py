from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_members(apps, schema_editor):
    """Backfill from the member rows; from here on the services keep the column in step."""
    Organization = apps.get_model("organizations", "Organization")
    User = apps.get_model("accounts", "User")
    counts = (
        User.objects.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Organization.objects.using(schema_editor.connection.alias).update(
        member_count=Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)
    )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
        ("organizations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="member_count",
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_members, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.CheckConstraint(
                condition=models.Q(("member_count__gte", 0)), name="organization_member_count_gte_0"
            ),
        ),
    ]
