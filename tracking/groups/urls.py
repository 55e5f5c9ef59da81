"""URLs of exchange groups, their sessions and attendance, under an association's host
root."""

from django.urls import path

from tracking.groups import views

urlpatterns = [
    path("groupes/", views.group_list, name="group_list"),
    path("groupes/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groupes/<int:group_id>/seances/<int:session_id>/", views.group_session,
         name="group_session"),
]
