"""Associations (tenants), their domains, people and memberships. Schema: public (shared)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Associations et personnes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the receivers stamping a session's start (session timeouts) and closing
        # a database connection once it has served too many schemas (its caches grow).
        from tenants.tenancy import connection_cap

        connection_cap.connect_celery()
