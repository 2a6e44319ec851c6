"""A covering index for the quiz statistics on PostgreSQL: quiz_stats reads (id,
attempt_id, revision_id, position) of every served item of a quiz's attempts; with this
index that is an index-only scan instead of a pass over the table, whose rows carry each
learner's presentation JSON (on 10,000 x 150 served items: 949 MB of table against a
~60 MB index; the read drops from ~0.75 s to ~0.45 s, docs/benchmarks.md "Analytics").

PostgreSQL only (INCLUDE): declared here rather than in AttemptItem.Meta, where Django's
system check would warn on SQLite, which has no covering indexes."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NAME = "attempt_item_stats_idx"


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON quizzes_attemptitem (attempt_id) "
            "INCLUDE (id, revision_id, position)"
        )


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0004_calibration_history")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
