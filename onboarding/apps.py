"""Sign-up of associations, invitations and imports. Schema: public (shared)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = _("Arrivée des associations")
    default_auto_field = "django.db.models.BigAutoField"
