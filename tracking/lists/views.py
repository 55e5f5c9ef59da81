"""The association's lists (association admins): rename, network codes, order, archive, add.

On an association's host (its schema is active). Anyone but an admin of this association
gets 404, the page and its actions alike."""

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
from tracking.forms import as_int
from tracking.lists import services
from tracking.models import (
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import Actor


def _list_name(kind: str) -> str:
    return str(PicklistKind(kind).label)


def _create(actor: Actor, post: QueryDict) -> tuple[str, str]:
    item = services.picklist_item_create(
        actor=actor, kind=post.get("kind", ""), label=post.get("label", ""),
        network_code=post.get("network_code", ""),
    )
    return item.kind, _("« %(label)s » ajouté à la liste « %(list)s ».") % {
        "label": item.label, "list": _list_name(item.kind)}


def _rename(actor: Actor, item: PicklistItem, post: QueryDict) -> str:
    item = services.picklist_item_rename(actor=actor, item=item, label=post.get("label", ""))
    return _("Élément renommé « %(label)s ».") % {"label": item.label}


def _network_code(actor: Actor, item: PicklistItem, post: QueryDict) -> str:
    item = services.picklist_item_set_network_code(
        actor=actor, item=item, network_code=post.get("network_code", ""))
    return _("Code réseau de « %(label)s » enregistré.") % {"label": item.label}


def _move_up(actor: Actor, item: PicklistItem, post: QueryDict) -> str:
    services.picklist_item_move(actor=actor, item=item, direction="up")
    return _("Ordre de la liste « %(list)s » enregistré.") % {"list": _list_name(item.kind)}


def _move_down(actor: Actor, item: PicklistItem, post: QueryDict) -> str:
    services.picklist_item_move(actor=actor, item=item, direction="down")
    return _("Ordre de la liste « %(list)s » enregistré.") % {"list": _list_name(item.kind)}


def _archive(actor: Actor, item: PicklistItem, post: QueryDict) -> str:
    item = services.picklist_item_archive(actor=actor, item=item, archived=True)
    return _("« %(label)s » archivé : il n'est plus proposé dans les formulaires ; les fiches "
             "qui le portent le gardent.") % {"label": item.label}


def _unarchive(actor: Actor, item: PicklistItem, post: QueryDict) -> str:
    item = services.picklist_item_archive(actor=actor, item=item, archived=False)
    return _("« %(label)s » est de nouveau proposé dans les formulaires.") % {
        "label": item.label}


ITEM_ACTIONS: dict[str, Callable[[Actor, PicklistItem, QueryDict], str]] = {
    "rename": _rename,
    "network_code": _network_code,
    "move_up": _move_up,
    "move_down": _move_down,
    "archive": _archive,
    "unarchive": _unarchive,
}


@require_http_methods(["GET", "POST"])
def picklists(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    context: dict[str, Any] = {"error": None, "failed": {}}
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        item = None
        if action in ITEM_ACTIONS:
            item = services.access_picklist_item(actor, as_int(post.get("item")))
        elif action != "create":
            raise Http404
        kind = item.kind if item is not None else post.get("kind", "")
        try:
            if item is None:
                kind, done = _create(actor, post)
            else:
                done = ITEM_ACTIONS[action](actor, item, post)
        except ApplicationError as error:
            # Shown in the list's own section, what was typed kept; nothing was saved.
            context["error"] = error.message
            context["failed"] = {
                "kind": kind, "item": item.pk if item else None, "action": action,
                "field": error.field,
                "label": post.get("label", ""), "network_code": post.get("network_code", ""),
                "in_section": kind in PicklistKind.values,
            }
        else:
            messages.success(request, done)
            return redirect(f"{reverse('picklists')}#liste-{kind}")
    context["sections"] = services.picklist_overview()
    return render(request, "tracking/picklists.html", context,
                  status=400 if context["error"] else 200)
