"""Content-Security-Policy on every response (django-csp), its header strings built once per
process. Schema: any.

django-csp's middleware builds both policies (enforced and report-only) from the settings
on every response: a tenth of a trivial page's time (bench/RESULTS.md, section 7). The
strings depend only on the settings as long as a response carries no policy of its own
(`@csp_update`, `@csp_replace`, ... set `_csp_*` attributes) and no nonce was used: then
they are built once and kept, until a setting changes (tests' `override_settings`).
Anything else takes django-csp's own path."""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro",
               "_csp_update_ro", "_csp_replace_ro", "_csp_exempt", "_csp_exempt_ro")
_built: dict[bool, str] = {}


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _built.clear()


def _policy(*, report_only: bool) -> str:
    policy = _built.get(report_only)
    if policy is None:
        policy = _built[report_only] = build_policy(report_only=report_only)
    return policy


def _excluded(request: HttpRequest, setting: str) -> bool:
    prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return bool(prefixes) and request.path_info.startswith(tuple(prefixes))


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        if (getattr(request, "_csp_nonce", None) is not None or settings.DEBUG
                or any(hasattr(response, name) for name in _OWN_POLICY)):
            return super().process_response(request, response)
        for report_only, header, setting in (
                (False, HEADER, "CONTENT_SECURITY_POLICY"),
                (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY")):
            policy = _policy(report_only=report_only)
            if policy and header not in response and not _excluded(request, setting):
                response[header] = policy
        # As django-csp: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(  # type: ignore[attr-defined]
            self._csp_nonce_post_response)
        return response
