"""The association's custom fields (association admins): add, edit, reorder, archive.

On an association's host (its schema is active). Anyone but an admin of this association
gets 404, the page and its actions alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relier_platform.errors import ApplicationError
from tracking.access import admin_of
from tracking.fields import services
from tracking.models import (
    CustomField,
    CustomFieldKind,
    CustomFieldTarget,
)
from tracking.permissions import Actor


def _lines(text: str) -> list[str]:
    return [line for line in str(text).splitlines() if line.strip()]


def _create(actor: Actor, post: QueryDict) -> tuple[str, str]:
    field = services.field_create(
        actor=actor, target=post.get("target", ""), label=post.get("label", ""),
        kind=post.get("kind", ""), required=post.get("required") == "1",
        help_text=post.get("help_text", ""), choices=_lines(post.get("choices", "")),
    )
    return field.target, _("Champ « %(label)s » ajouté.") % {"label": field.label}


def _update(actor: Actor, field: CustomField, post: QueryDict) -> str:
    field = services.field_update(
        actor=actor, field=field, label=post.get("label", ""),
        help_text=post.get("help_text", ""), required=post.get("required") == "1",
        choice_labels={c["code"]: post.get(f"choice_{c['code']}", c["label"])
                       for c in field.choices},
        archived_choices=set(post.getlist("archived_choices")),
        new_choices=_lines(post.get("new_choices", "")),
    )
    return _("Champ « %(label)s » enregistré.") % {"label": field.label}


def _archive(actor: Actor, field: CustomField, post: QueryDict) -> str:
    field = services.field_archive(actor=actor, field=field, archived=True)
    return _("« %(label)s » archivé : il n'est plus proposé dans les formulaires ; les fiches "
             "qui le renseignent gardent leur réponse.") % {"label": field.label}


def _unarchive(actor: Actor, field: CustomField, post: QueryDict) -> str:
    field = services.field_archive(actor=actor, field=field, archived=False)
    return _("« %(label)s » est de nouveau proposé dans les formulaires.") % {
        "label": field.label}


def _move_up(actor: Actor, field: CustomField, post: QueryDict) -> str:
    services.field_move(actor=actor, field=field, direction="up")
    return _("Ordre des champs enregistré.")


def _move_down(actor: Actor, field: CustomField, post: QueryDict) -> str:
    services.field_move(actor=actor, field=field, direction="down")
    return _("Ordre des champs enregistré.")


FIELD_ACTIONS: dict[str, Callable[[Actor, CustomField, QueryDict], str]] = {
    "update": _update,
    "archive": _archive,
    "unarchive": _unarchive,
    "move_up": _move_up,
    "move_down": _move_down,
}


def _sections() -> list[dict[str, Any]]:
    titles = {CustomFieldTarget.CASE: _("Champs des dossiers"),
              CustomFieldTarget.INTERACTION: _("Champs des échanges")}
    sections = []
    for target, title in titles.items():
        fields = list(services.field_list(target, include_archived=True))
        usage = services.field_usage(fields)
        for field in fields:
            field.usage = usage[field.pk]  # type: ignore[attr-defined]
        rows = [(f, i > 0, i < len(fields) - 1) for i, f in enumerate(fields)]
        sections.append({"target": target, "title": title, "rows": rows})
    return sections


@require_http_methods(["GET", "POST"])
def custom_fields(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    context: dict[str, Any] = {"error": None, "failed": {}}
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        field = None
        if action in FIELD_ACTIONS:
            field = services.access_field(actor, post.get("field"))
        elif action != "create":
            raise Http404
        target = field.target if field is not None else post.get("target", "")
        try:
            if field is None:
                target, done = _create(actor, post)
            else:
                done = FIELD_ACTIONS[action](actor, field, post)
        except ApplicationError as error:
            # Shown in the list's own section, what was typed kept; nothing was saved.
            context["error"] = error.message
            context["failed"] = {
                "target": target, "field": field.pk if field else None, "action": action,
                "post": post, "in_section": target in CustomFieldTarget.values,
            }
        else:
            messages.success(request, done)
            return redirect(f"{reverse('custom_fields')}#champs-{target}")
    context["sections"] = _sections()
    context["kinds"] = CustomFieldKind.choices
    return render(request, "tracking/custom_fields.html", context,
                  status=400 if context["error"] else 200)
