"""URLs under an association's host: each room's own, gathered (so the isolation tests try
every route of an association as an outsider)."""

from django.urls import include, path

urlpatterns = [
    path("", include(urls))
    for urls in (
        "tracking.cases.urls",
        "tracking.interactions.urls",
        "tracking.groups.urls",
        "tracking.awareness.urls",
        "tracking.audit.urls",
        "tracking.workflows.urls",
        "tracking.figures.urls",
        "tracking.fields.urls",
        "tracking.lists.urls",
        "tracking.privacy.urls",
        "tracking.api.urls",
        "tracking.webhooks.urls",
        "tracking.employment.urls",
        "tracking.dropin.urls",
        "tracking.questions.urls",
        "tracking.todo.urls",
        "tracking.documents.urls",
        "tracking.handovers.urls",
        "tenants.networks.urls",
        "tenants.offboarding.urls",
        "onboarding.importing.urls",
        "onboarding.team.urls",
        "billing.urls",
    )
]
