"""The answer when the database cannot be reached: a short French page with status 503,
instead of the generic 500. Schema: any.

Django turns an exception raised by a view or a middleware into a call of `handler500`
(both url modules name `server_error` below), while that exception is still being handled,
so `sys.exc_info()` says which one it was. A refused, lost or broken database connection
(OperationalError, InterfaceError: the server restarting, failing over, out of
connections) is an outage, not a bug: the person is asked to retry in a moment, and load
balancers and clients read `Retry-After`. Django has already logged the error with its
traceback, on the server side only. Any other exception gets the usual 500 page.

Once the database is back, the next request of each process reconnects by itself:
CONN_HEALTH_CHECKS checks a reused connection before the request uses it.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return defaults.server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: context processors would query the missing database.
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
