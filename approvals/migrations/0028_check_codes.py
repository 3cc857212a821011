"""Every application and bundle application gets a check code (approvals.check_codes): the column
is added empty, each existing row is given its own random code, then new rows get one by default.
(A callable default on AddField would give every existing row the same code.)"""

from django.db import migrations, models

import approvals.check_codes

BATCH = 2000


def give_codes(apps, schema_editor):
    for name in ("Application", "BundleApplication"):
        model = apps.get_model("approvals", name)
        while ids := list(model.objects.filter(check_code="").values_list("pk", flat=True)[:BATCH]):
            rows = [model(pk=pk, check_code=approvals.check_codes.new_check_code()) for pk in ids]
            model.objects.bulk_update(rows, ["check_code"])


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0027_bundle_applications"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="check_code",
            field=models.CharField(default="", editable=False, max_length=8, verbose_name="check code"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="bundleapplication",
            name="check_code",
            field=models.CharField(default="", editable=False, max_length=8, verbose_name="check code"),
            preserve_default=False,
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="check_code",
            field=models.CharField(default=approvals.check_codes.new_check_code, editable=False, max_length=8,
                                   verbose_name="check code"),
        ),
        migrations.AlterField(
            model_name="bundleapplication",
            name="check_code",
            field=models.CharField(default=approvals.check_codes.new_check_code, editable=False, max_length=8,
                                   verbose_name="check code"),
        ),
    ]
