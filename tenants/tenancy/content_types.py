"""Content types as django-guardian must see them with one schema per association.
Schema: public (read from any schema).

`django.contrib.contenttypes` is in both SHARED_APPS and TENANT_APPS, so every association's
schema has its own `django_content_type` table, while `auth_permission` exists once, in
public, and its rows point at public's content types. Ids are not guaranteed to agree
across schemas (public and the template were filled at different times). Django's
`ContentType.objects.get_for_model` reads the current schema's table (through the
search_path) and caches per process, not per schema: a permission looked up with it
from an association's host could miss, or match another model's row.

guardian asks `GUARDIAN_GET_CONTENT_TYPE` (settings) for every content type it compares
with `auth_permission`: this function answers with public's row, the only one
`auth_permission` refers to. Nothing is cached (a test database may be flushed and
refilled with other ids); a lookup is one indexed read of a small public table, made only
when guardian's own API is used — the case list and every read of cases filter on the
permission's codename instead (tracking.permissions.case_visible_q)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_tenants.utils import get_public_schema_name, schema_context


def public_content_type(obj: models.Model | type[models.Model]) -> ContentType:
    model = obj if isinstance(obj, type) else type(obj)
    meta = model._meta.concrete_model._meta  # type: ignore[union-attr]
    with schema_context(get_public_schema_name()):
        return ContentType.objects.get(app_label=meta.app_label, model=meta.model_name)
