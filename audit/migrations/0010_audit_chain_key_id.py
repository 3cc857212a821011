"""Each link names the chain key that sealed it (audit.keys). The links sealed before this migration
get the key id "" (the column's database default, so no row is rewritten and the append-only
trigger is not involved): they keep their plain SHA-256 and verify as before. A chain check from
the auditor's page remembers whether it has passed a keyed link (``keyed``)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0009_audit_refuse_truncate'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='key_id',
            field=models.CharField(blank=True, db_default='', default='', max_length=40),
        ),
        migrations.AddField(
            model_name='chaincheck',
            name='keyed',
            field=models.BooleanField(default=False),
        ),
    ]
