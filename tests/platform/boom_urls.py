"""A test-only urlconf for an association's host: one view that fails while holding
people's data (from the POSTed form) in its local variables and in a database query."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tenants.models import User


class BoomError(RuntimeError):
    pass


def boom(request: HttpRequest) -> HttpResponse:
    first_name = request.POST.get("first_name", "")
    clinical_note = request.POST.get("clinical_note", "")
    # A query whose parameters carry the data: SQL breadcrumbs must not hold them.
    User.objects.filter(display_name=first_name).exists()
    if first_name or clinical_note:
        raise BoomError("the view failed")  # the message itself carries no data
    return HttpResponse("no data")


urlpatterns = [
    path("boom/", boom, name="boom"),
]
