"""Per-case grants and group facilitation become django-guardian object permissions with
direct keys (CaseUserObjectPermission, GroupFacilitation), nothing lost:

- each CaseGrant gives `view_case`, plus `change_case` when it allowed editing, with its
  `granted_by` and `granted_at`;
- each facilitator of a group gives `facilitate_exchangegroup` (who added them and when
  was never recorded: left empty).

The permissions live in public (auth_permission, pointing at public's content types),
read and, if a permission of a new Meta.permissions is not there yet, created there by
qualified name: the association's own django_content_type may number types otherwise.
Backwards, the grants and facilitators are written back the same way (tested in
tests/tracking/cases/test_grants.py)."""


import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django_tenants.utils import get_public_schema_name

PUBLIC = get_public_schema_name()
WANTED = [("case", "view_case", "Can view dossier"), ("case", "change_case", "Can change dossier"),
          ("exchangegroup", "facilitate_exchangegroup", "Animer le groupe d'échange")]


def _permission_ids(cursor) -> dict[str, int]:
    for model, codename, name in WANTED:
        cursor.execute(
            f'INSERT INTO "{PUBLIC}".auth_permission (name, content_type_id, codename) '
            f'SELECT %s, c.id, %s FROM "{PUBLIC}".django_content_type c '
            "WHERE c.app_label = 'tracking' AND c.model = %s "
            "ON CONFLICT (content_type_id, codename) DO NOTHING", [name, codename, model])
        cursor.execute(
            f'SELECT p.codename, p.id FROM "{PUBLIC}".auth_permission p '
            f'JOIN "{PUBLIC}".django_content_type c ON c.id = p.content_type_id '
            "WHERE c.app_label = 'tracking' AND c.model = %s AND p.codename = %s",
            [model, codename])
    cursor.execute(
        f'SELECT p.codename, p.id FROM "{PUBLIC}".auth_permission p '
        f'JOIN "{PUBLIC}".django_content_type c ON c.id = p.content_type_id '
        "WHERE c.app_label = 'tracking' AND p.codename = ANY(%s)",
        [[codename for _model, codename, _name in WANTED]])
    found = dict(cursor.fetchall())
    missing = {codename for _model, codename, _name in WANTED} - set(found)
    if missing:
        raise RuntimeError(f"permissions missing in {PUBLIC}: {sorted(missing)} "
                           "(migrate the public schema first)")
    return found


def forwards(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        ids = _permission_ids(cursor)
        cursor.execute(
            "INSERT INTO tracking_caseuserobjectpermission "
            "(content_object_id, user_id, permission_id, granted_by_id, granted_at) "
            "SELECT case_id, user_id, %s, granted_by_id, granted_at FROM tracking_casegrant "
            "UNION ALL "
            "SELECT case_id, user_id, %s, granted_by_id, granted_at FROM tracking_casegrant "
            "WHERE can_edit", [ids["view_case"], ids["change_case"]])
        cursor.execute(
            "INSERT INTO tracking_groupfacilitation "
            "(content_object_id, user_id, permission_id, granted_by_id, granted_at) "
            "SELECT exchangegroup_id, user_id, %s, NULL, NULL "
            "FROM tracking_group_facilitators", [ids["facilitate_exchangegroup"]])


def backwards(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        ids = _permission_ids(cursor)
        cursor.execute(
            "INSERT INTO tracking_casegrant (case_id, user_id, can_edit, granted_by_id, "
            "granted_at) "
            "SELECT content_object_id, user_id, bool_or(permission_id = %s), "
            "(array_agg(granted_by_id ORDER BY id))[1], min(granted_at) "
            "FROM tracking_caseuserobjectpermission WHERE permission_id IN (%s, %s) "
            "GROUP BY content_object_id, user_id",
            [ids["change_case"], ids["view_case"], ids["change_case"]])
        cursor.execute(
            "INSERT INTO tracking_group_facilitators (exchangegroup_id, user_id) "
            "SELECT DISTINCT content_object_id, user_id FROM tracking_groupfacilitation "
            "WHERE permission_id = %s", [ids["facilitate_exchangegroup"]])



class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('tracking', '0012_referral_notified_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='exchangegroup',
            options={'ordering': ('weekday', 'theme'), 'permissions': [('facilitate_exchangegroup', "Animer le groupe d'échange")]},
        ),
        migrations.CreateModel(
            name='CaseUserObjectPermission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('granted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grants', to='tracking.case')),
                ('granted_by', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('permission', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='auth.permission')),
                ('user', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'accès accordé à un dossier',
                'abstract': False,
                'unique_together': {('user', 'permission', 'content_object')},
            },
        ),
        migrations.CreateModel(
            name='GroupFacilitation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('granted_at', models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True)),
                ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='facilitations', to='tracking.exchangegroup')),
                ('granted_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('permission', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='auth.permission')),
                ('user', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': "animation d'un groupe",
                'abstract': False,
                'unique_together': {('user', 'permission', 'content_object')},
            },
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='exchangegroup',
            name='facilitators',
        ),
        migrations.DeleteModel(
            name='CaseGrant',
        ),
    ]
