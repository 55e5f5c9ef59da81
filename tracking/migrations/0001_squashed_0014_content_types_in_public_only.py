"""Tracking's whole schema in one migration, as Citus accepts it from the first statement.

Replaces 0001-0014. A database that applied them keeps them (Django records this
migration as applied on its next `migrate`, running nothing); a new database (and the
template schema every association is cloned from) runs only this one. The difference that
matters: the original 0001 created foreign keys from tenant tables to `public.tenants_user`
(dropped again in 0008). A distributed schema on Citus may only hold keys to its own
tables or to reference tables, so `migrate_schemas` on a Citus cluster failed right there.
Here no key ever leaves the schema (staff columns are plain integers checked by the
application, as they have been since 0008).

The SQL below is the final state of the triggers of 0002, 0004, 0009 and 0010 (append-only
audit log and stage history, the narrow erasure and retention exceptions); the two data
steps are those of 0002 (default lists) and 0004 (the ready workflow).
`tests/tracking/test_squashed_migrations.py` checks that a schema migrated through 0001-0014
and one migrated through this file have the same tables, columns, keys, indexes and
triggers.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import tracking.columns
from django.conf import settings
from django.db import migrations, models

# The final state of the triggers of 0002, 0004, 0009 and 0010.
TRIGGERS = """
CREATE OR REPLACE FUNCTION tracking_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tracking_auditlog is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracking_auditlog_no_update
    BEFORE UPDATE ON tracking_auditlog
    FOR EACH ROW EXECUTE FUNCTION tracking_auditlog_append_only();
CREATE TRIGGER tracking_auditlog_no_truncate
    BEFORE TRUNCATE ON tracking_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION tracking_auditlog_append_only();
CREATE OR REPLACE FUNCTION tracking_auditlog_purge_only() RETURNS trigger AS $$
DECLARE
    keep integer;
    youngest timestamptz;
BEGIN
    IF coalesce(current_setting('relier.audit_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'tracking_auditlog is append-only (DELETE refused outside the '
                        'retention purge)';
    END IF;
    EXECUTE format('SELECT audit_keep_months FROM %I.tracking_retentionpolicy WHERE id = 1',
                   TG_TABLE_SCHEMA) INTO keep;
    keep := greatest(coalesce(keep, 12), 6);
    SELECT max(at) INTO youngest FROM gone;
    IF youngest >= now() - make_interval(months => keep) THEN
        RAISE EXCEPTION 'tracking_auditlog keeps % months: an entry of % is too recent to '
                        'be deleted', keep, youngest;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracking_auditlog_purge_only
    AFTER DELETE ON tracking_auditlog
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tracking_auditlog_purge_only();
CREATE OR REPLACE FUNCTION tracking_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION tracking_stagechange_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('relier.erasure_case', true) = OLD.case_id::text
       AND NEW.comment = ''
       AND (NEW.id, NEW.case_id, NEW.at, NEW.actor_id, NEW.from_stage_id, NEW.to_stage_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.case_id, OLD.at, OLD.actor_id, OLD.from_stage_id, OLD.to_stage_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracking_stagechange_no_update_delete
    BEFORE UPDATE OR DELETE ON tracking_stagechange
    FOR EACH ROW EXECUTE FUNCTION tracking_stagechange_append_only();
CREATE TRIGGER tracking_stagechange_no_truncate
    BEFORE TRUNCATE ON tracking_stagechange
    FOR EACH STATEMENT EXECUTE FUNCTION tracking_append_only();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS tracking_stagechange_no_truncate ON tracking_stagechange;
DROP TRIGGER IF EXISTS tracking_stagechange_no_update_delete ON tracking_stagechange;
DROP FUNCTION IF EXISTS tracking_stagechange_append_only();
DROP FUNCTION IF EXISTS tracking_append_only();
DROP TRIGGER IF EXISTS tracking_auditlog_purge_only ON tracking_auditlog;
DROP FUNCTION IF EXISTS tracking_auditlog_purge_only();
DROP TRIGGER IF EXISTS tracking_auditlog_no_truncate ON tracking_auditlog;
DROP TRIGGER IF EXISTS tracking_auditlog_no_update ON tracking_auditlog;
DROP FUNCTION IF EXISTS tracking_auditlog_append_only();
"""


def add_defaults(apps, schema_editor):
    from tracking.lists.defaults import DEFAULT_PICKLISTS

    PicklistItem = apps.get_model("tracking", "PicklistItem")
    for kind, items in DEFAULT_PICKLISTS.items():
        for position, (code, label, network_code) in enumerate(items):
            PicklistItem.objects.get_or_create(
                kind=kind, code=code,
                defaults={"label": label, "network_code": network_code, "position": position},
            )


def add_default_workflow(apps, schema_editor):
    from tracking.lists.defaults import DEFAULT_STAGES, DEFAULT_TRANSITIONS

    WorkflowVersion = apps.get_model("tracking", "WorkflowVersion")
    Stage = apps.get_model("tracking", "Stage")
    Transition = apps.get_model("tracking", "Transition")
    if WorkflowVersion.objects.exists():
        return
    version = WorkflowVersion.objects.create(number=1, status="published")
    stages = {}
    for position, (key, name, colour, is_open, is_initial, hours) in enumerate(DEFAULT_STAGES):
        stages[key] = Stage.objects.create(
            version=version, key=key, name=name, colour=colour, is_open=is_open,
            is_initial=is_initial, time_limit_hours=hours, position=position,
        )
    for source, target, label, roles, required in DEFAULT_TRANSITIONS:
        Transition.objects.create(
            version=version, from_stage=stages[source], to_stage=stages[target], label=label,
            roles=roles, required_fields=required,
        )


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ("tracking", "0001_initial"),
        ("tracking", "0002_audit_trigger_and_defaults"),
        ("tracking", "0003_workflows"),
        ("tracking", "0004_stage_history_and_default_workflow"),
        ("tracking", "0005_overdue_reminder"),
        ("tracking", "0006_custom_fields"),
        ("tracking", "0007_imports"),
        ("tracking", "0008_staff_references_without_db_keys"),
        ("tracking", "0009_privacy_stagechange_erasure"),
        ("tracking", "0010_retention"),
        ("tracking", "0011_case_list_order_index"),
        ("tracking", "0012_referral_notified_at"),
        ("tracking", "0013_object_permissions"),
        ("tracking", "0014_content_types_in_public_only"),
    ]

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseCodeCounter',
            fields=[
                ('year', models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ('last', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='ExchangeGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('theme', models.CharField(max_length=160, verbose_name='thème')),
                ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'lundi'), (1, 'mardi'), (2, 'mercredi'), (3, 'jeudi'), (4, 'vendredi'), (5, 'samedi'), (6, 'dimanche')], verbose_name='jour')),
                ('start_time', models.TimeField(blank=True, null=True, verbose_name='heure')),
                ('capacity', models.PositiveSmallIntegerField(default=10, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(50)], verbose_name='capacité')),
                ('is_active', models.BooleanField(default=True, verbose_name='actif')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ('weekday', 'theme'),
                'permissions': [('facilitate_exchangegroup', "Animer le groupe d'échange")],
            },
        ),
        migrations.CreateModel(
            name='Partner',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='nom')),
                ('town', models.CharField(blank=True, max_length=120, verbose_name='commune')),
                ('department', models.CharField(blank=True, max_length=3, verbose_name='département')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('is_archived', models.BooleanField(default=False, verbose_name='archivé')),
            ],
            options={
                'verbose_name': 'partenaire',
                'ordering': ('name',),
            },
        ),
        migrations.CreateModel(
            name='Stage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(max_length=60, verbose_name='identifiant')),
                ('name', models.CharField(max_length=80, verbose_name='nom')),
                ('colour', models.CharField(default='#1d4f91', max_length=7, verbose_name='couleur')),
                ('is_open', models.BooleanField(default=True, verbose_name='dossier ouvert à cette étape')),
                ('is_initial', models.BooleanField(default=False, verbose_name='étape initiale')),
                ('time_limit_hours', models.PositiveIntegerField(blank=True, null=True, verbose_name='délai (heures)')),
                ('position', models.PositiveIntegerField(default=0)),
            ],
            options={
                'ordering': ('version', 'position', 'id'),
            },
        ),
        migrations.CreateModel(
            name='AuditLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('action', models.CharField(db_index=True, max_length=40)),
                ('object_type', models.CharField(blank=True, max_length=40)),
                ('object_id', models.CharField(blank=True, max_length=40)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('detail', models.JSONField(default=dict)),
                ('actor', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ('-at', '-id'),
            },
        ),
        migrations.CreateModel(
            name='Case',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, unique=True, verbose_name='numéro')),
                ('external_id', models.CharField(blank=True, max_length=100, null=True, unique=True, verbose_name='identifiant externe')),
                ('first_name', tracking.columns.EncryptedCharField(blank=True, default='', max_length=80, null=True, verbose_name='prénom')),
                ('birth_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='année de naissance')),
                ('gender', models.CharField(blank=True, choices=[('girl', 'Fille'), ('boy', 'Garçon'), ('other', 'Autre'), ('', 'Non renseigné')], max_length=8, verbose_name='genre')),
                ('town', models.CharField(blank=True, max_length=120, verbose_name='commune')),
                ('department', models.CharField(blank=True, max_length=3, verbose_name='département')),
                ('role', models.CharField(choices=[('targeted', 'Ciblé'), ('witness', 'Témoin'), ('author', 'Auteur')], default='targeted', max_length=10, verbose_name='rôle du jeune')),
                ('opened_on', models.DateField(default=django.utils.timezone.localdate, verbose_name='ouvert le')),
                ('closed_on', models.DateField(blank=True, null=True, verbose_name='clôturé le')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('stage_entered_at', models.DateTimeField(blank=True, null=True)),
                ('version', models.PositiveIntegerField(default=1)),
                ('custom', models.JSONField(blank=True, default=dict, verbose_name='champs personnalisés')),
                ('archived_at', models.DateTimeField(blank=True, null=True, verbose_name='archivé le')),
                ('anonymised_at', models.DateTimeField(blank=True, null=True, verbose_name='anonymisé le')),
                ('assigned_staff', models.ManyToManyField(blank=True, db_constraint=False, db_table='tracking_case_assigned_staff', related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='intervenants référents')),
                ('referring_partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='referred_cases', to='tracking.partner', verbose_name='partenaire orienteur')),
            ],
            options={
                'verbose_name': 'dossier',
                'ordering': ('-opened_on', '-id'),
            },
        ),
        migrations.CreateModel(
            name='CaseContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('relationship', models.CharField(max_length=80, verbose_name='lien')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tracking.case')),
            ],
        ),
        migrations.CreateModel(
            name='CaseEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('kind', models.CharField(max_length=32)),
                ('detail', models.JSONField(default=dict)),
                ('actor', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='tracking.case')),
            ],
            options={
                'ordering': ('-at', '-id'),
            },
        ),
        migrations.CreateModel(
            name='Consent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('given_by', models.CharField(choices=[('young_person', 'Le jeune'), ('parent', 'Un parent ou responsable légal'), ('other', 'Autre')], max_length=16, verbose_name='donné par')),
                ('given_on', models.DateField(verbose_name='date')),
                ('follow_up', models.BooleanField(default=True, verbose_name='suivi')),
                ('exchange_groups', models.BooleanField(default=False, verbose_name="groupes d'échange")),
                ('network_statistics', models.BooleanField(default=False, verbose_name='statistiques du réseau')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='tracking.case')),
                ('recorded_by', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ('-given_on', '-id'),
            },
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('parent', 'Parent ou responsable légal'), ('school', "Personnel de l'établissement"), ('local', 'Acteur local'), ('other', 'Autre')], max_length=10, verbose_name='type')),
                ('first_name', tracking.columns.EncryptedCharField(blank=True, default='', max_length=80, null=True, verbose_name='prénom')),
                ('last_name', tracking.columns.EncryptedCharField(blank=True, default='', max_length=80, null=True, verbose_name='nom')),
                ('phone', tracking.columns.EncryptedCharField(blank=True, default='', max_length=30, null=True, verbose_name='téléphone')),
                ('email', tracking.columns.EncryptedCharField(blank=True, default='', max_length=200, null=True, verbose_name='e-mail')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('cases', models.ManyToManyField(related_name='contacts', through='tracking.CaseContact', to='tracking.case')),
                ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='tracking.partner', verbose_name='organisation')),
            ],
            options={
                'verbose_name': 'contact',
            },
        ),
        migrations.AddField(
            model_name='casecontact',
            name='contact',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='tracking.contact'),
        ),
        migrations.CreateModel(
            name='CustomField',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target', models.CharField(choices=[('case', 'Dossiers'), ('interaction', 'Échanges')], max_length=12, verbose_name="s'applique à")),
                ('key', models.SlugField(max_length=60, verbose_name='identifiant')),
                ('label', models.CharField(max_length=120, verbose_name='libellé')),
                ('kind', models.CharField(choices=[('text', 'Texte court'), ('long_text', 'Texte long'), ('number', 'Nombre'), ('date', 'Date'), ('choice', 'Choix unique'), ('multiple_choice', 'Choix multiple'), ('yes_no', 'Oui / non')], max_length=16, verbose_name='type')),
                ('required', models.BooleanField(default=False, verbose_name='obligatoire')),
                ('help_text', models.CharField(blank=True, max_length=300, verbose_name='aide')),
                ('choices', models.JSONField(blank=True, default=list, verbose_name='choix')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='ordre')),
                ('is_archived', models.BooleanField(default=False, verbose_name='archivé')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'champ personnalisé',
                'ordering': ('target', 'position', 'id'),
                'constraints': [models.UniqueConstraint(fields=('target', 'key'), name='custom_field_key_unique')],
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
            },
        ),
        migrations.CreateModel(
            name='GroupSession',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('held_on', models.DateField(verbose_name='date')),
                ('topic', models.CharField(blank=True, max_length=200, verbose_name='sujet')),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sessions', to='tracking.exchangegroup')),
            ],
            options={
                'ordering': ('-held_on',),
            },
        ),
        migrations.CreateModel(
            name='Attendance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('present', 'Présent'), ('absent', 'Absent'), ('excused', 'Excusé')], max_length=8, verbose_name='présence')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attendances', to='tracking.case')),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attendances', to='tracking.groupsession')),
            ],
        ),
        migrations.CreateModel(
            name='ImpactAssessment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('assessed_on', models.DateField(verbose_name='date')),
                ('moment', models.CharField(choices=[('intake', 'Accueil'), ('review', 'Bilan')], max_length=8, verbose_name='moment')),
                ('peers', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)])),
                ('family', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)])),
                ('school_work', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)])),
                ('help', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)])),
                ('confidence', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)])),
                ('assessed_by', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='tracking.case')),
            ],
            options={
                'ordering': ('assessed_on', 'id'),
            },
        ),
        migrations.CreateModel(
            name='ImportRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('file_name', models.CharField(max_length=255, verbose_name='fichier')),
                ('file_size', models.PositiveIntegerField(default=0)),
                ('file_sha256', models.CharField(max_length=64)),
                ('file_format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'Excel (XLSX)'), ('monday', 'Export Monday.com (XLSX)')], max_length=8, verbose_name='format')),
                ('content', models.BinaryField(default=bytes)),
                ('status', models.CharField(choices=[('uploaded', 'À faire correspondre'), ('validating', 'Vérification en cours'), ('validated', 'Vérifié'), ('committing', 'Import en cours'), ('committed', 'Importé'), ('failed', 'Refusé')], default='uploaded', max_length=12, verbose_name='état')),
                ('columns', models.JSONField(default=list)),
                ('mapping', models.JSONField(default=dict)),
                ('value_mapping', models.JSONField(default=dict)),
                ('total_rows', models.PositiveIntegerField(default=0)),
                ('errors', models.JSONField(default=list)),
                ('error_count', models.PositiveIntegerField(default=0)),
                ('to_create', models.PositiveIntegerField(default=0)),
                ('to_update', models.PositiveIntegerField(default=0)),
                ('unchanged', models.PositiveIntegerField(default=0)),
                ('partners_to_create', models.JSONField(default=list)),
                ('validated_at', models.DateTimeField(blank=True, null=True)),
                ('committed_at', models.DateTimeField(blank=True, null=True)),
                ('task_id', models.CharField(blank=True, max_length=64)),
                ('failure', models.CharField(blank=True, max_length=500)),
                ('committed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'import',
                'ordering': ('-created_at', '-id'),
            },
        ),
        migrations.CreateModel(
            name='PicklistItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('detection_source', 'Source de détection'), ('situation_type', 'Type de situation'), ('programme', 'Programme'), ('interaction_kind', "Type d'échange"), ('partner_type', 'Type de partenaire'), ('closing_reason', 'Motif de clôture')], max_length=32, verbose_name='liste')),
                ('code', models.SlugField(max_length=60, verbose_name='code')),
                ('label', models.CharField(max_length=120, verbose_name='libellé')),
                ('network_code', models.CharField(blank=True, max_length=60, verbose_name='code réseau')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='ordre')),
                ('is_archived', models.BooleanField(default=False, verbose_name='archivé')),
            ],
            options={
                'ordering': ('kind', 'position', 'label'),
                'constraints': [models.UniqueConstraint(fields=('kind', 'code'), name='picklist_code_unique')],
            },
        ),
        migrations.AddField(
            model_name='partner',
            name='kind',
            field=models.ForeignKey(limit_choices_to={'kind': 'partner_type'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.picklistitem', verbose_name='type'),
        ),
        migrations.CreateModel(
            name='Interaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('phone', 'Téléphone'), ('video', 'Visio'), ('in_person', 'En présentiel'), ('chat', 'Messagerie')], max_length=10, verbose_name='canal')),
                ('occurred_at', models.DateTimeField(verbose_name='date et heure')),
                ('duration_minutes', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MaxValueValidator(1440)], verbose_name='durée (minutes)')),
                ('summary', models.TextField(blank=True, max_length=5000, verbose_name='résumé')),
                ('clinical_note', tracking.columns.EncryptedTextField(blank=True, default='', null=True, verbose_name='note clinique')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('custom', models.JSONField(blank=True, default=dict, verbose_name='champs personnalisés')),
                ('cases', models.ManyToManyField(blank=True, related_name='interactions', to='tracking.case', verbose_name='jeunes')),
                ('contacts', models.ManyToManyField(blank=True, related_name='interactions', to='tracking.contact', verbose_name='contacts')),
                ('created_by', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('staff', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='intervenant')),
                ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='interactions', to='tracking.partner', verbose_name='partenaire')),
                ('kind', models.ForeignKey(limit_choices_to={'kind': 'interaction_kind'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.picklistitem', verbose_name='type')),
            ],
            options={
                'ordering': ('-occurred_at', '-id'),
            },
        ),
        migrations.AddField(
            model_name='case',
            name='closing_reason',
            field=models.ForeignKey(blank=True, limit_choices_to={'kind': 'closing_reason'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.picklistitem', verbose_name='motif de clôture'),
        ),
        migrations.AddField(
            model_name='case',
            name='detection_source',
            field=models.ForeignKey(blank=True, limit_choices_to={'kind': 'detection_source'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.picklistitem', verbose_name='source de détection'),
        ),
        migrations.AddField(
            model_name='case',
            name='programme',
            field=models.ForeignKey(blank=True, limit_choices_to={'kind': 'programme'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.picklistitem', verbose_name='programme'),
        ),
        migrations.AddField(
            model_name='case',
            name='situation_types',
            field=models.ManyToManyField(blank=True, limit_choices_to={'kind': 'situation_type'}, related_name='+', to='tracking.picklistitem', verbose_name='types de situation'),
        ),
        migrations.CreateModel(
            name='AwarenessSession',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('held_on', models.DateField(verbose_name='date')),
                ('town', models.CharField(blank=True, max_length=120, verbose_name='commune')),
                ('department', models.CharField(blank=True, max_length=3, verbose_name='département')),
                ('pupils', models.PositiveIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='élèves')),
                ('parents', models.PositiveIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='parents')),
                ('teachers', models.PositiveIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='enseignants')),
                ('other_professionals', models.PositiveIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(100000)], verbose_name='autres professionnels')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('facilitators', models.ManyToManyField(blank=True, db_constraint=False, db_table='tracking_awareness_facilitators', related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='intervenants')),
                ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='awareness_sessions', to='tracking.partner', verbose_name='partenaire')),
                ('programme', models.ForeignKey(blank=True, limit_choices_to={'kind': 'programme'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.picklistitem', verbose_name='programme')),
            ],
            options={
                'ordering': ('-held_on',),
            },
        ),
        migrations.CreateModel(
            name='Referral',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('referrer_kind', models.CharField(max_length=16)),
                ('referrer_name', tracking.columns.EncryptedCharField(blank=True, default='', max_length=120, null=True)),
                ('referrer_contact', tracking.columns.EncryptedCharField(blank=True, default='', max_length=200, null=True)),
                ('description', tracking.columns.EncryptedTextField(blank=True, default='', null=True)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('notified_at', models.DateTimeField(blank=True, null=True)),
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='referral', to='tracking.case')),
            ],
        ),
        migrations.CreateModel(
            name='RetentionPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('archive_after_months', models.PositiveSmallIntegerField(default=24, verbose_name='archiver un dossier sans contact depuis (mois)')),
                ('anonymise_after_months', models.PositiveSmallIntegerField(default=12, verbose_name='anonymiser un dossier archivé depuis (mois)')),
                ('audit_keep_months', models.PositiveSmallIntegerField(default=12, verbose_name="conserver le journal d'audit (mois)")),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_by_id', models.IntegerField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'durées de conservation',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='retention_single_row'), models.CheckConstraint(condition=models.Q(('archive_after_months__gte', 12), ('archive_after_months__lte', 60)), name='retention_archive_after_months_bounds'), models.CheckConstraint(condition=models.Q(('anonymise_after_months__gte', 1), ('anonymise_after_months__lte', 36)), name='retention_anonymise_after_months_bounds'), models.CheckConstraint(condition=models.Q(('audit_keep_months__gte', 6), ('audit_keep_months__lte', 12)), name='retention_audit_keep_months_bounds')],
            },
        ),
        migrations.CreateModel(
            name='OverdueReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage_entered_at', models.DateTimeField()),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('recipients', models.PositiveIntegerField(default=0)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.case')),
                ('stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.stage')),
            ],
        ),
        migrations.AddField(
            model_name='case',
            name='stage',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='tracking.stage', verbose_name='étape'),
        ),
        migrations.CreateModel(
            name='StageChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('comment', models.CharField(blank=True, max_length=500, verbose_name='commentaire')),
                ('actor', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='stage_changes', to='tracking.case')),
                ('from_stage', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.stage')),
                ('to_stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracking.stage')),
            ],
            options={
                'ordering': ('-at', '-id'),
            },
        ),
        migrations.CreateModel(
            name='WorkflowVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='version')),
                ('status', models.CharField(choices=[('draft', 'Brouillon'), ('published', 'En vigueur'), ('retired', 'Remplacée')], default='draft', max_length=10, verbose_name='état')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('published_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ('-number',),
            },
        ),
        migrations.CreateModel(
            name='Transition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=80, verbose_name='libellé')),
                ('roles', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=20), blank=True, default=list, size=None, verbose_name='rôles autorisés')),
                ('required_fields', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=70), blank=True, default=list, size=None, verbose_name='champs requis')),
                ('confirmation', models.CharField(blank=True, max_length=200, verbose_name='texte de confirmation')),
                ('from_stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outgoing', to='tracking.stage')),
                ('to_stage', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='incoming', to='tracking.stage')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='tracking.workflowversion')),
            ],
            options={
                'ordering': ('version', 'from_stage__position', 'id'),
            },
        ),
        migrations.AddField(
            model_name='stage',
            name='version',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='stages', to='tracking.workflowversion'),
        ),
        migrations.CreateModel(
            name='CaseLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='nature du lien')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('from_case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_out', to='tracking.case')),
                ('to_case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_in', to='tracking.case')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('from_case', 'to_case'), name='case_link_unique'), models.CheckConstraint(condition=models.Q(('from_case', models.F('to_case')), _negated=True), name='case_link_not_self')],
            },
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
        migrations.AddConstraint(
            model_name='casecontact',
            constraint=models.UniqueConstraint(fields=('case', 'contact'), name='case_contact_unique'),
        ),
        migrations.AlterUniqueTogether(
            name='groupfacilitation',
            unique_together={('user', 'permission', 'content_object')},
        ),
        migrations.AddConstraint(
            model_name='groupsession',
            constraint=models.UniqueConstraint(fields=('group', 'held_on'), name='group_session_unique'),
        ),
        migrations.AddConstraint(
            model_name='attendance',
            constraint=models.UniqueConstraint(fields=('session', 'case'), name='attendance_unique'),
        ),
        migrations.AddIndex(
            model_name='interaction',
            index=models.Index(fields=['occurred_at'], name='tracking_in_occurre_397da2_idx'),
        ),
        migrations.AddConstraint(
            model_name='overduereminder',
            constraint=models.UniqueConstraint(fields=('case', 'stage', 'stage_entered_at'), name='one_reminder_per_breach'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('archived_at__isnull', False)), fields=['archived_at'], name='case_archived_at'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['opened_on'], name='tracking_ca_opened__68f4c5_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['opened_on', 'id'], name='case_opened_id_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['closed_on'], name='tracking_ca_closed__730518_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['birth_year'], name='tracking_ca_birth_y_635fa2_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=django.contrib.postgres.indexes.GinIndex(fields=['custom'], name='case_custom_gin', opclasses=['jsonb_path_ops']),
        ),
        migrations.AddConstraint(
            model_name='workflowversion',
            constraint=models.UniqueConstraint(fields=('number',), name='workflow_version_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='workflowversion',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'published')), fields=('status',), name='workflow_one_published'),
        ),
        migrations.AddConstraint(
            model_name='workflowversion',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'draft')), fields=('status',), name='workflow_one_draft'),
        ),
        migrations.AddConstraint(
            model_name='transition',
            constraint=models.UniqueConstraint(fields=('from_stage', 'to_stage'), name='transition_unique'),
        ),
        migrations.AddConstraint(
            model_name='transition',
            constraint=models.CheckConstraint(condition=models.Q(('from_stage', models.F('to_stage')), _negated=True), name='transition_not_loop'),
        ),
        migrations.AddConstraint(
            model_name='stage',
            constraint=models.UniqueConstraint(fields=('version', 'key'), name='stage_key_unique'),
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
        migrations.RunPython(add_default_workflow, migrations.RunPython.noop),
    ]
