"""URLs of a case's documents, under an association's host root (gathered by
tracking.urls)."""

from django.urls import path

from tracking.documents import views

urlpatterns = [
    path("dossiers/<int:case_id>/documents/", views.case_documents, name="case_documents"),
    path("dossiers/<int:case_id>/documents/<int:document_id>/telecharger/",
         views.document_download, name="document_download"),
    path("dossiers/<int:case_id>/documents/<int:document_id>/retirer/",
         views.document_withdraw, name="document_withdraw"),
]
