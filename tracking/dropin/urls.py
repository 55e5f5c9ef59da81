"""URLs of drop-in hours, under an association's host root (gathered by tracking.urls);
`/rendez-vous` is open to anonymous visitors (tenants.tenancy.middleware.OPEN_PREFIXES)."""

from django.urls import path

from tracking.dropin import views

urlpatterns = [
    path("permanences/", views.dropin_day, name="dropin_day"),
    path("permanences/reserver/", views.dropin_book, name="dropin_book"),
    path("permanences/reservations/<int:booking_id>/tenue/", views.dropin_hold,
         name="dropin_hold"),
    path("permanences/reservations/<int:booking_id>/absence/", views.dropin_no_show,
         name="dropin_no_show"),
    path("permanences/reservations/<int:booking_id>/annuler/", views.dropin_cancel,
         name="dropin_cancel"),
    path("permanences/horaires/", views.dropin_schedules, name="dropin_schedules"),
    path("permanences/horaires/reglages/", views.dropin_settings, name="dropin_settings"),
    path("permanences/horaires/<int:schedule_id>/terminer/", views.dropin_schedule_end,
         name="dropin_schedule_end"),
    path("permanences/horaires/<int:schedule_id>/annuler-un-jour/",
         views.dropin_occurrence_cancel, name="dropin_occurrence_cancel"),
    path("rendez-vous", views.dropin_public, name="dropin_public"),
]
