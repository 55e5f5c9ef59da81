"""`{% site_header %}`: the header of every page (templates/includes/site_header.html) rendered
once per distinct content and kept. Schema: any.

The header — brand, menu, language form, association switcher, the person's address and
role, the sign-out form — was a third of the case list's time (bench/RESULTS.md, section
7), though it changes little from one request to the next. It is rendered from a context
holding only the values it shows (the association's name, the role and its label, the
to-do and hand-over counts, the person's address, the other associations, the language),
and that content is kept under a key made of exactly those values, with the schema, the
translation catalogue and the URL configuration: what the fragment can read is what the key
holds, so a kept header can never be another person's or association's, nor stale. The two
values of each request, the CSRF token and the page's own path (the language form), are
written in afterwards in place of markers (NUL characters, which no text from the database
or the request can hold). A request without a CSRF token or without a request object
renders the fragment as Django would.
"""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any

from django.template.context import Context
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

from relier_platform.template_memo import _catalogue
from relier_platform.tenancy import current_schema

TEMPLATE = "includes/site_header.html"
_CSRF = "\x00relier-csrf\x00"
_PATH = "\x00relier-path\x00"
_KEPT: dict[tuple[Any, ...], str] = {}
_KEPT_MAX = 2_000


def site_header(context: Context) -> SafeString:
    request = context.get("request")
    token = context.get("csrf_token")
    if request is None or not token or str(token) == "NOTPROVIDED":
        template: Any = get_template(TEMPLATE)
        return mark_safe(template.template.render(context))  # noqa: S308 - Django's output
    shown = _shown(context)
    key = (current_schema(), _catalogue(), get_urlconf(), get_script_prefix(),
           context.autoescape, tuple(sorted(shown.items())))
    content = _KEPT.get(key)
    if content is None:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        content = _KEPT[key] = get_template(TEMPLATE).render(_context(shown))
    return mark_safe(  # noqa: S308 - Django's output; the token is alphanumeric, the path escaped
        content.replace(_CSRF, str(token)).replace(_PATH, html.escape(request.get_full_path())))


def _shown(context: Context) -> dict[str, Any]:
    """What the header shows, read as the template reads it (the counts only where it does)."""
    association = context.get("association")
    membership = context.get("membership")
    notices = context.get("notices")
    user = context.get("user")
    others = context.get("other_memberships") or []
    signed_in = bool(user is not None and user.is_authenticated)
    menu = bool(association and membership)
    return {
        "association": association.name if association else None,
        "role": membership.role if membership else None,
        "role_label": str(membership.get_role_display()) if membership else None,
        "notices": notices.due if (menu and notices) else None,
        "has_notices": bool(notices),
        "oob": bool(context.get("oob")),
        "handovers_waiting": context.get("handovers_waiting"),
        "signed_in": signed_in,
        "email": user.email if signed_in else None,  # type: ignore[union-attr]
        "others": tuple((m.association.slug, m.association.name) for m in others)
        if (signed_in and association) else (),
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }


def _context(shown: dict[str, Any]) -> dict[str, Any]:
    return {
        "association": (SimpleNamespace(name=shown["association"])
                        if shown["association"] is not None else None),
        "membership": (SimpleNamespace(role=shown["role"], get_role_display=shown["role_label"])
                       if shown["role"] is not None else None),
        "notices": SimpleNamespace(due=shown["notices"]) if shown["has_notices"] else None,
        "oob": shown["oob"],
        "handovers_waiting": shown["handovers_waiting"],
        "user": SimpleNamespace(is_authenticated=shown["signed_in"], email=shown["email"]),
        "other_memberships": [SimpleNamespace(association=SimpleNamespace(slug=slug, name=name))
                              for slug, name in shown["others"]],
        "LANGUAGE_CODE": shown["LANGUAGE_CODE"],
        "request": SimpleNamespace(get_full_path=_PATH),
        "csrf_token": _CSRF,
    }
