"""The locals' parcel index with the ``varchar_pattern_ops`` operator class.

The list of locals filters by the start of a parcel (``parcel__startswith``, ``LIKE '34114000AB%'``): under the
database's C.UTF-8 collation a plain btree index cannot serve it, so each search read the whole table. With this
operator class the index serves the prefix search, and still the lookups by equal parcel of the anomaly rules. The
cadastral import rebuilds the index from its definition in the catalogue: it keeps the operator class.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("fiscal", "0003_local_id_without_like_index")]

    operations = [
        migrations.RemoveIndex(model_name="local", name="fiscal_local_parcel"),
        migrations.AddIndex(
            model_name="local",
            index=models.Index(fields=["parcel"], name="fiscal_local_parcel", opclasses=["varchar_pattern_ops"]),
        ),
    ]
