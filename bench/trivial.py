"""The routing ratio's trivial page (bench/request_path.py): the signed-in person's address,
as text. Served twice: through the whole product (bench/stack_settings.py) and by plain
Django on the same schema (bench/plain_settings.py); the difference is what routing by host,
membership, second factor, billing, closing, request id and security headers cost."""

from django.http import HttpRequest, HttpResponse


def trivial(request: HttpRequest) -> HttpResponse:
    user = request.user
    return HttpResponse(f"{user.email if user.is_authenticated else '-'}\n",
                        content_type="text/plain")
