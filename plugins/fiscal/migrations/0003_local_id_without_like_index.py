"""The locals' primary key without the ``varchar_pattern_ops`` index Django adds to a character primary key.

No query of the product looks a local up by the start of its id (``LIKE``, ``startswith``): the index only cost a
build per commune at every cadastral import. Django's later changes to the field drop it with ``IF EXISTS``.
"""

from django.db import migrations

LIKE_INDEX = "fiscal_local_local_id_41622161_like"


class Migration(migrations.Migration):
    dependencies = [("fiscal", "0002_cadastre_signalements")]

    operations = [
        migrations.RunSQL(
            sql=f'DROP INDEX IF EXISTS "{LIKE_INDEX}"',
            reverse_sql=f'CREATE INDEX IF NOT EXISTS "{LIKE_INDEX}" ON "fiscal_local" ("local_id" varchar_pattern_ops)',
        ),
    ]
