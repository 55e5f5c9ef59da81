"""Associations (tenants), their domains, people and memberships. Schema: public (shared)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Associations et personnes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receiver stamping a session's start (session timeouts).
        from tenants import security  # noqa: F401
