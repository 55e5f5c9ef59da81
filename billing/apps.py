"""Subscriptions and payments (Stripe). Schema: public (shared)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Facturation")
    default_auto_field = "django.db.models.BigAutoField"
