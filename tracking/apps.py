"""Case tracking: young people, contacts, interactions, groups. Schema: tenant."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = _("Suivi des jeunes")
    default_auto_field = "django.db.models.BigAutoField"
