"""URLs of Question Psy, under an association's host root: the public form and answers
(`/question-psy/…`, open to anyone: tenants.tenancy.middleware.OPEN_PREFIXES) and the
staff's pages (`/questions/…`)."""

from django.urls import path

from tracking.questions import views

urlpatterns = [
    path("question-psy/", views.question_public, name="question_public"),
    path("question-psy/reponses/", views.question_answers, name="question_answers"),
    path("questions/", views.queue, name="question_queue"),
    path("questions/reglages/", views.settings_update, name="question_settings"),
    path("questions/seances/", views.session_list, name="question_sessions"),
    path("questions/seances/<int:session_id>/", views.session_detail,
         name="question_session"),
    path("questions/<int:question_id>/", views.question_detail, name="question_detail"),
]
