"""The workflow editor (association admins): draft, edit, see the diagram, publish."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError
from tenants.models import Role
from tracking.access import requires
from tracking.forms import as_int
from tracking.models import Stage, WorkflowVersion, stage_fields
from tracking.permissions import Actor, Capability
from tracking.workflows import services as workflows


def _stage(version: WorkflowVersion, stage_id: Any) -> Stage:
    stage = version.stages.filter(pk=as_int(stage_id) or 0).first()
    if stage is None:
        raise Http404
    return stage


def _apply(request: HttpRequest, actor: Actor, draft: WorkflowVersion | None) -> None:
    action = request.POST.get("action", "")
    if action == "draft":
        workflows.workflow_draft_create(actor=actor)
        messages.success(request, _("Brouillon créé : modifiez-le puis publiez-le."))
        return
    if draft is None:
        raise Http404
    post = request.POST
    if action == "stage_save":
        stage = _stage(draft, post.get("stage")) if post.get("stage") else None
        workflows.stage_save(
            actor=actor, version=draft, stage=stage, name=post.get("name", ""),
            colour=post.get("colour", "#1d4f91"), is_open=post.get("is_open") == "on",
            is_initial=post.get("is_initial") == "on",
            time_limit_hours=as_int(post.get("time_limit_hours")),
        )
    elif action == "stage_remove":
        workflows.stage_remove(actor=actor, stage=_stage(draft, post.get("stage")))
    elif action == "transition_add":
        workflows.transition_add(
            actor=actor, version=draft, source=_stage(draft, post.get("source")),
            target=_stage(draft, post.get("target")), label=post.get("label", ""),
            roles=post.getlist("roles"), required_fields=post.getlist("required_fields"),
            confirmation=post.get("confirmation", ""),
        )
    elif action == "transition_remove":
        transition = draft.transitions.filter(pk=as_int(post.get("transition")) or 0).first()
        if transition is None:
            raise Http404
        workflows.transition_remove(actor=actor, transition=transition)
    elif action == "publish":
        mapping = {key[4:]: str(post.get(key)) for key in post
                   if key.startswith("map-") and post.get(key)}
        workflows.workflow_publish(actor=actor, draft=draft, mapping=mapping)
        messages.success(request, _("Nouvelle version du parcours en vigueur."))
        return
    else:
        raise Http404
    messages.success(request, _("Brouillon enregistré."))


@requires(Capability.AUDIT_READ)  # association admins
def workflow_editor(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    draft = workflows.workflow_draft()
    if request.method == "POST":
        try:
            _apply(request, actor, draft)
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("workflow_editor")
    current = workflows.workflow_current()
    held: list[Any] = []
    if current is not None:
        held = list(current.stages.annotate(n=Count("cases")).filter(n__gt=0))
    draft_keys = set(draft.stages.values_list("key", flat=True)) if draft else set()
    fields = stage_fields()
    roles = dict(Role.choices)
    transitions = (list(draft.transitions.select_related("from_stage", "to_stage"))
                   if draft else [])
    for t in transitions:  # shown by their labels, not their codes
        t.role_labels = [roles.get(r, r) for r in t.roles]  # type: ignore[attr-defined]
        t.field_labels = [fields.get(f, f) for f in t.required_fields]  # type: ignore[attr-defined]
    return render(request, "tracking/workflow_editor.html", {
        "current": current, "draft": draft,
        "current_diagram": workflows.workflow_diagram(current) if current else None,
        "draft_diagram": workflows.workflow_diagram(draft) if draft else None,
        "draft_stages": list(draft.stages.all()) if draft else [],
        "draft_transitions": transitions,
        "problems": workflows.workflow_problems(*workflows.version_specs(draft)) if draft
        else [],
        "to_map": [s for s in held if s.key not in draft_keys],
        "roles": Role.choices, "fields": list(fields.items()),
    })


