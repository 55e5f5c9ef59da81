"""URLs of the webhooks room: the admins' pages, under an association's host root
(gathered by tracking.urls)."""

from django.urls import path

from tracking.webhooks import views

urlpatterns = [
    path("parametres/webhooks/", views.webhooks, name="webhooks"),
    path("parametres/webhooks/<int:endpoint_id>/desactiver/", views.webhook_disable,
         name="webhook_disable"),
    path("parametres/webhooks/<int:endpoint_id>/reactiver/", views.webhook_enable,
         name="webhook_enable"),
    path("parametres/webhooks/<int:endpoint_id>/tester/", views.webhook_ping,
         name="webhook_ping"),
    path("parametres/webhooks/<int:endpoint_id>/livraisons/", views.webhook_deliveries,
         name="webhook_deliveries"),
]
