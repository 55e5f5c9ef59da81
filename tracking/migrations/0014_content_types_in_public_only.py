"""One content-type table for the platform, in public: each association's schema drops
the copy it kept while django.contrib.contenttypes was also a tenant app.

Why: auth_permission lives in public and points at public's content types; guardian's
per-object permissions (0013) are read from an association's host, where an unqualified
`django_content_type` found the schema's own copy first — whose ids need not match public's
(rows appear in each table as apps are added, at different times). Nothing of the
association's refers to its copy (no generic relation in tracking).

The table is named with the schema being migrated, never left to the search_path: an
unqualified DROP in a schema without its own copy would reach public's. Backwards, the
copy is made again from public's rows."""

from django.db import migrations
from django_tenants.utils import get_public_schema_name


def _schema(schema_editor) -> str | None:
    schema = getattr(schema_editor.connection, "schema_name", None)
    return None if not schema or schema == get_public_schema_name() else schema


def drop_copy(apps, schema_editor) -> None:
    schema = _schema(schema_editor)
    if schema is not None:
        schema_editor.execute(f'DROP TABLE IF EXISTS "{schema}".django_content_type')


def copy_again(apps, schema_editor) -> None:
    schema = _schema(schema_editor)
    if schema is None:
        return
    public = get_public_schema_name()
    schema_editor.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".django_content_type '
        f'(LIKE "{public}".django_content_type INCLUDING ALL)')
    schema_editor.execute(
        f'INSERT INTO "{schema}".django_content_type SELECT * FROM "{public}".django_content_type '
        "ON CONFLICT DO NOTHING")


class Migration(migrations.Migration):

    dependencies = [
        ("tracking", "0013_object_permissions"),
    ]

    operations = [
        migrations.RunPython(drop_copy, copy_again),
    ]
