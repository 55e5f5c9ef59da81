"""The bare view of bench/request_path.py: the same SQL statements as one request of the
real case list (captured from it, literal values included, BARE_SQL names the JSON file),
run through `connection.cursor()`, and a minimal text response. The difference in
throughput with the real page is the framework's share: middleware, ORM, forms, template."""

import json
import os
from pathlib import Path

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

STATEMENTS: list[str] = json.loads(Path(os.environ["BARE_SQL"]).read_text())


def bare(request: HttpRequest) -> HttpResponse:
    rows = 0
    with connection.cursor() as cursor:
        for statement in STATEMENTS:
            cursor.execute(statement)
            if cursor.description is not None:
                rows += len(cursor.fetchall())
    return HttpResponse(f"{rows}\n", content_type="text/plain")


urlpatterns = [path("bare/", bare), path("healthz", bare)]
