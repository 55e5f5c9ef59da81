"""URLs of the hand-overs room: the admins' pages, under an association's host root
(gathered by tracking.urls)."""

from django.urls import path

from tracking.handovers import views

urlpatterns = [
    path("dossiers/<int:case_id>/transmettre/", views.handover_send, name="handover_send"),
    path("parametres/transmissions/", views.handovers, name="handovers"),
    path("parametres/transmissions/<int:handover_id>/accepter/", views.handover_accept,
         name="handover_accept"),
    path("parametres/transmissions/<int:handover_id>/refuser/", views.handover_refuse,
         name="handover_refuse"),
    path("parametres/transmissions/<int:handover_id>/retirer/", views.handover_withdraw,
         name="handover_withdraw"),
]
