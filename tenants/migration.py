"""A migration executor that keeps the template schema migrated with every tenant.

django-tenants' `migrate_schemas` migrates the schemas of the tenant rows; the template
that new associations are cloned from is not a tenant row, so it is added here: it is
migrated first, before any association, whenever tenant schemas are migrated.
"""

from __future__ import annotations

from typing import Any

from django_tenants.migration_executors import get_executor as base_get_executor
from django_tenants.migration_executors.base import MigrationExecutor


def get_executor(codename: str | None = None) -> type[MigrationExecutor]:
    base = base_get_executor(codename)

    class TemplateAwareExecutor(base):  # type: ignore[valid-type,misc]
        def run_migrations(self, tenants: Any = None) -> Any:
            from tenants.provisioning import ensure_template_schema, template_schema_name

            tenants = list(tenants or [])
            # The public schema is migrated in a call of its own ([public]); any other
            # call, even with no association yet, is the tenant pass.
            if tenants != [self.PUBLIC_SCHEMA_NAME] and not self.options.get("schema_name"):
                ensure_template_schema()
                tenants.insert(0, template_schema_name())
            return super().run_migrations(tenants=tenants)

    TemplateAwareExecutor.codename = base.codename
    return TemplateAwareExecutor
