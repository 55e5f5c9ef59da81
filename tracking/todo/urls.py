"""URLs of the to-do list, under an association's host root."""

from django.urls import path

from tracking.todo import views

urlpatterns = [
    path("taches/", views.todo_page, name="todo"),
    path("taches/<int:task_id>/fait/", views.task_mark, name="todo_task_mark"),
    path("taches/<int:task_id>/annuler/", views.task_cancel, name="todo_task_cancel"),
    path("taches/signalements/<int:referral_id>/accuser-reception/",
         views.referral_acknowledge, name="todo_referral_acknowledge"),
    path("taches/recapitulatif/", views.digest_preference, name="todo_digest"),
]
