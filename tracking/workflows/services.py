"""Workflows: validation, drafting, publishing (with the mapping of cases) and moving a case.

Nothing is ever orphaned: publishing a version moves every case of the old version onto a
stage of the new one in the same transaction — to the stage with the same key, or to the
stage the admin chose for it — and refuses if a stage that still holds cases has no target.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import (
    Case,
    CaseEvent,
    PicklistItem,
    PicklistKind,
    Stage,
    StageChange,
    Transition,
    WorkflowVersion,
)
from tracking.permissions import Actor, Capability
from tracking.webhooks.services import case_payload, webhooks_emit

# --- Validation (pure: used by the editor, the publisher and property-based tests) ----


@dataclass(frozen=True)
class StageSpec:
    key: str
    name: str
    is_open: bool = True
    is_initial: bool = False


@dataclass(frozen=True)
class TransitionSpec:
    source: str
    target: str


def workflow_problems(
    stages: Sequence[StageSpec], transitions: Sequence[TransitionSpec]
) -> list[str]:
    """Every reason this workflow cannot be published, in French; [] when it can."""
    if not stages:
        return [_("Le parcours n'a aucune étape.")]
    problems = _name_problems(stages)
    edges, edge_problems = _edges(stages, transitions)
    problems += edge_problems
    initial = [s for s in stages if s.is_initial]
    if len(initial) != 1:
        problems.append(_("Le parcours doit avoir exactement une étape initiale (il en a "
                          "%(n)s).") % {"n": len(initial)})
    else:
        reached = _reachable(initial[0].key, edges)
        problems += [
            _("L'étape « %(name)s » est inaccessible depuis l'étape initiale.")
            % {"name": s.name} for s in stages if s.key not in reached
        ]
    problems += [
        _("L'étape ouverte « %(name)s » n'a aucune sortie.") % {"name": s.name}
        for s in stages if s.is_open and not edges.get(s.key)
    ]
    if all(s.is_open for s in stages):
        problems.append(_("Le parcours doit avoir au moins une étape de clôture."))
    return problems


def _name_problems(stages: Sequence[StageSpec]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for stage in stages:
        folded = " ".join(stage.name.split()).casefold()
        if not folded:
            problems.append(_("Une étape n'a pas de nom."))
        elif folded in seen:
            problems.append(_("Deux étapes portent le même nom : « %(name)s ».")
                            % {"name": stage.name.strip()})
        seen.add(folded)
    if len({s.key for s in stages}) != len(stages):
        problems.append(_("Deux étapes ont le même identifiant."))
    return problems


def _edges(
    stages: Sequence[StageSpec], transitions: Sequence[TransitionSpec]
) -> tuple[dict[str, set[str]], list[str]]:
    keys = {s.key for s in stages}
    edges: dict[str, set[str]] = {key: set() for key in keys}
    problems: list[str] = []
    for t in transitions:
        if t.source not in keys or t.target not in keys:
            problems.append(_("Une transition mène à une étape qui n'existe pas."))
        elif t.source == t.target:
            problems.append(_("Une transition ne peut pas mener d'une étape à elle-même."))
        else:
            edges[t.source].add(t.target)
    return edges, problems


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    reached = {start}
    queue = deque(reached)
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in reached:
                reached.add(target)
                queue.append(target)
    return reached


def version_specs(version: WorkflowVersion) -> tuple[list[StageSpec], list[TransitionSpec]]:
    stages = list(version.stages.all())
    by_id = {s.pk: s.key for s in stages}
    return (
        [StageSpec(s.key, s.name, s.is_open, s.is_initial) for s in stages],
        [TransitionSpec(by_id[t.from_stage_id], by_id[t.to_stage_id])
         for t in version.transitions.all()],
    )


# --- Reads ----------------------------------------------------------------------------


def workflow_current() -> WorkflowVersion | None:
    return WorkflowVersion.objects.filter(status=WorkflowVersion.Status.PUBLISHED).first()


def workflow_draft() -> WorkflowVersion | None:
    return WorkflowVersion.objects.filter(status=WorkflowVersion.Status.DRAFT).first()


def initial_stage() -> Stage | None:
    return Stage.objects.filter(version__status=WorkflowVersion.Status.PUBLISHED,
                                is_initial=True).first()


def transitions_for(actor: Actor, case: Case) -> list[Transition]:
    """The moves this person may make from the case's stage."""
    if case.stage_id is None:
        return []
    return [t for t in Transition.objects.filter(from_stage_id=case.stage_id)
            .select_related("to_stage") if actor.role in t.roles]


# --- Drafting -------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not actor.can(Capability.AUDIT_READ):  # admins only configure the workflow
        raise ApplicationError(_("Seuls les administrateurs modifient le parcours."),
                               code=ErrorCode.NOT_ALLOWED)


def workflow_draft_create(*, actor: Actor) -> WorkflowVersion:
    """A draft copy of the version in force (stages keep their keys)."""
    _require_admin(actor)
    with transaction.atomic():
        existing = workflow_draft()
        if existing is not None:
            return existing
        current = workflow_current()
        number = (WorkflowVersion.objects.order_by("-number")
                  .values_list("number", flat=True).first() or 0) + 1
        draft = WorkflowVersion.objects.create(number=number, created_by_id=actor.id)
        if current is not None:
            copies = {}
            for stage in current.stages.all():
                old_id = stage.pk
                stage.pk, stage.version = None, draft
                stage.save()
                copies[old_id] = stage
            for t in current.transitions.all():
                Transition.objects.create(
                    version=draft, from_stage=copies[t.from_stage_id],
                    to_stage=copies[t.to_stage_id], label=t.label, roles=t.roles,
                    required_fields=t.required_fields, confirmation=t.confirmation,
                )
        audit_record(actor=actor, action="workflow.draft", obj=draft)
    return draft


def stage_remove(*, actor: Actor, stage: Stage) -> None:
    """Remove a stage from a draft (with its transitions). The cases it holds in the
    version in force are mapped when the draft is published."""
    _require_admin(actor)
    if stage.version.status != WorkflowVersion.Status.DRAFT:
        raise ApplicationError(_("Seul un brouillon peut être modifié."),
                               code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        Transition.objects.filter(version=stage.version).filter(
            from_stage=stage).delete()
        Transition.objects.filter(version=stage.version, to_stage=stage).delete()
        stage.delete()
        audit_record(actor=actor, action="workflow.stage_remove", key=stage.key)


# --- Publishing -----------------------------------------------------------------------


def workflow_publish(
    *, actor: Actor, draft: WorkflowVersion, mapping: dict[str, str] | None = None
) -> WorkflowVersion:
    """Put the draft in force. `mapping` sends the cases of a stage that the draft no
    longer has (old key → new key). All or nothing."""
    _require_admin(actor)
    mapping = mapping or {}
    with transaction.atomic():
        draft = WorkflowVersion.objects.select_for_update().get(pk=draft.pk)
        if draft.status != WorkflowVersion.Status.DRAFT:
            raise ApplicationError(_("Cette version n'est plus un brouillon."),
                                   code=ErrorCode.CONFLICT)
        problems = workflow_problems(*version_specs(draft))
        if problems:
            raise ApplicationError(" ".join(problems), code=ErrorCode.VALUE_RANGE)
        current = workflow_current()
        new_stages = {s.key: s for s in draft.stages.all()}
        moves: list[tuple[Stage, Stage]] = []
        if current is not None:
            held = (Stage.objects.filter(version=current)
                    .annotate(n=Count("cases")).filter(n__gt=0))
            missing = []
            for stage in held:
                target = new_stages.get(mapping.get(stage.key, stage.key))
                if target is None:
                    missing.append(_("L'étape « %(name)s » contient %(n)s dossier(s) : "
                                     "choisissez l'étape où les déplacer.")
                                   % {"name": stage.name, "n": stage.n})
                else:
                    moves.append((stage, target))
            if missing:
                raise ApplicationError(" ".join(missing), code=ErrorCode.NOT_FOUND)
            current.status = WorkflowVersion.Status.RETIRED
            current.save(update_fields=["status"])
        now = timezone.now()
        for old, new in moves:
            case_ids = list(Case.objects.filter(stage=old).values_list("pk", flat=True))
            renamed = old.key == new.key
            Case.objects.filter(pk__in=case_ids).update(stage=new)
            if not renamed:
                Case.objects.filter(pk__in=case_ids).update(stage_entered_at=now)
            StageChange.objects.bulk_create([
                StageChange(case_id=pk, actor_id=actor.id, from_stage=old, to_stage=new,
                            comment=_("Nouvelle version %(n)s du parcours")
                            % {"n": draft.number})
                for pk in case_ids
            ])
        draft.status, draft.published_at = WorkflowVersion.Status.PUBLISHED, now
        draft.save(update_fields=["status", "published_at"])
        audit_record(actor=actor, action="workflow.publish", obj=draft,
                     moved=sum(1 for _ in moves))
    return draft


# --- Moving a case --------------------------------------------------------------------


def _missing_fields(case: Case, required: Sequence[str]) -> list[str]:
    from tracking.models import stage_fields

    labels = stage_fields()
    missing = []
    for name in required:
        if name == "consent":
            filled = case.consents.exists()
        elif name == "impact":
            filled = case.assessments.exists()
        elif name in ("situation_types", "assigned_staff"):
            filled = getattr(case, name).exists()
        elif name.startswith("cf_"):
            if name not in labels:
                continue  # an archived field: no form asks for it any more
            filled = case.custom.get(name[3:]) not in (None, "", [])
        else:
            filled = bool(getattr(case, name, None))
        if not filled:
            missing.append(str(labels.get(name, name)))
    return missing


def case_stage_set_initial(case: Case, *, actor: Actor | None) -> None:
    """Place a new case at the initial stage of the workflow in force (if any)."""
    stage = initial_stage()
    if stage is None:
        return
    Case.objects.filter(pk=case.pk).update(stage=stage, stage_entered_at=timezone.now())
    case.stage = stage
    StageChange.objects.create(case=case, actor_id=actor.id if actor else None,
                               from_stage=None, to_stage=stage)


def case_transition(
    *, actor: Actor, case: Case, transition: Transition, expected_version: int,
    comment: str = "", closing_reason: PicklistItem | None = None,
) -> Case:
    """Move a case along a transition. Two people moving the same case at once: the
    second gets a clear conflict and nothing changes."""
    validation.require_editable(actor, case)
    if actor.role not in transition.roles:
        raise ApplicationError(_("Votre rôle ne permet pas ce passage."),
                               code=ErrorCode.NOT_ALLOWED)
    validation.text_length(comment, limit=500, field="comment", label=_("Le commentaire"))
    target = transition.to_stage
    if not target.is_open:
        if closing_reason is None:
            raise ApplicationError(_("Indiquez le motif de clôture."),
                                   code=ErrorCode.PICKLIST_INVALID, field="closing_reason")
        validation.picklist(closing_reason, kind=PicklistKind.CLOSING_REASON,
                            field="closing_reason")
    with transaction.atomic():
        locked = validation.lock_at_version(case, expected_version)
        if locked.stage_id != transition.from_stage_id:
            raise ApplicationError(
                _("Ce dossier a changé d'étape entre-temps. Rechargez la page."),
                code=ErrorCode.CONFLICT,
            )
        missing = _missing_fields(locked, transition.required_fields)
        if missing:
            raise ApplicationError(
                _("Avant ce passage, renseignez : %(fields)s.") % {"fields": ", ".join(missing)},
                code=ErrorCode.VALUE_RANGE,
            )
        now = timezone.now()
        previous = locked.stage
        locked.stage, locked.stage_entered_at = target, now
        if target.is_open:
            locked.closed_on, locked.closing_reason = None, None
        else:
            locked.closed_on = locked.closed_on or timezone.localdate()
            locked.closing_reason = closing_reason
        locked.version += 1
        locked.updated_at = now
        locked.save()
        StageChange.objects.create(case=locked, actor_id=actor.id, from_stage=previous,
                                   to_stage=target, comment=comment)
        CaseEvent.objects.create(case=locked, actor_id=actor.id, kind="stage",
                                 detail={"from": previous.name if previous else "",
                                         "to": target.name, "comment": comment})
        audit_record(actor=actor, action="case.transition", obj=locked,
                     to=target.key)
        webhooks_emit(event="case.stage_changed", payload=case_payload(
            locked, from_stage=previous.key if previous else None, to_stage=target.key,
            changed_at=now.isoformat()))
        if not target.is_open and (previous is None or previous.is_open):
            webhooks_emit(event="case.closed", payload=case_payload(
                locked, stage=target.key,
                closed_on=locked.closed_on.isoformat() if locked.closed_on else None,
                closing_reason=closing_reason.code if closing_reason else None))
    return locked


# --- Editing a draft ------------------------------------------------------------------


def _require_draft(actor: Actor, version: WorkflowVersion) -> None:
    _require_admin(actor)
    if version.status != WorkflowVersion.Status.DRAFT:
        raise ApplicationError(_("Seul un brouillon peut être modifié."),
                               code=ErrorCode.NOT_ALLOWED)


def _stage_values(name: str, colour: str, time_limit_hours: int | None) -> None:
    if not 1 <= len(name.strip()) <= 80:
        raise ApplicationError(_("Le nom d'une étape compte de 1 à 80 caractères."),
                               code=ErrorCode.VALUE_RANGE, field="name")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise ApplicationError(_("La couleur doit être de la forme #1d4f91."),
                               code=ErrorCode.VALUE_RANGE, field="colour")
    if time_limit_hours is not None and not 1 <= time_limit_hours <= 24 * 365:
        raise ApplicationError(_("Le délai va de 1 heure à 1 an."),
                               code=ErrorCode.VALUE_RANGE, field="time_limit_hours")


def stage_save(
    *, actor: Actor, version: WorkflowVersion, stage: Stage | None, name: str, colour: str,
    is_open: bool, is_initial: bool, time_limit_hours: int | None,
) -> Stage:
    """Add a stage to a draft (stage=None) or change one."""
    _require_draft(actor, version)
    _stage_values(name, colour, time_limit_hours)
    with transaction.atomic():
        if stage is None:
            base = slugify(name)[:50] or "etape"
            key, n = base, 1
            while version.stages.filter(key=key).exists():
                n += 1
                key = f"{base}-{n}"
            position = (version.stages.order_by("-position")
                        .values_list("position", flat=True).first() or 0) + 1
            stage = Stage(version=version, key=key, position=position)
        if is_initial:
            version.stages.exclude(pk=stage.pk).update(is_initial=False)
        stage.name, stage.colour = name.strip(), colour
        stage.is_open, stage.is_initial = is_open, is_initial
        stage.time_limit_hours = time_limit_hours
        stage.save()
        audit_record(actor=actor, action="workflow.stage_save", key=stage.key)
    return stage


def transition_add(
    *, actor: Actor, version: WorkflowVersion, source: Stage, target: Stage, label: str,
    roles: list[str], required_fields: list[str], confirmation: str = "",
) -> Transition:
    from tenants.models import Role
    from tracking.models import stage_fields

    _require_draft(actor, version)
    if source.version_id != version.pk or target.version_id != version.pk:
        raise ApplicationError(_("Une transition mène à une étape qui n'existe pas."),
                               code=ErrorCode.NOT_FOUND)
    if source.pk == target.pk:
        raise ApplicationError(_("Une transition ne peut pas mener d'une étape à elle-même."),
                               code=ErrorCode.VALUE_RANGE)
    if not 1 <= len(label.strip()) <= 80:
        raise ApplicationError(_("Le libellé compte de 1 à 80 caractères."),
                               code=ErrorCode.VALUE_RANGE, field="label")
    if set(roles) - set(Role.values) or set(required_fields) - set(stage_fields()):
        raise ApplicationError(_("Rôle ou champ inconnu."), code=ErrorCode.VALUE_RANGE)
    if version.transitions.filter(from_stage=source, to_stage=target).exists():
        raise ApplicationError(_("Cette transition existe déjà."), code=ErrorCode.CONFLICT)
    with transaction.atomic():
        transition = Transition.objects.create(
            version=version, from_stage=source, to_stage=target, label=label.strip(),
            roles=sorted(set(roles)), required_fields=sorted(set(required_fields)),
            confirmation=confirmation.strip()[:200],
        )
        audit_record(actor=actor, action="workflow.transition_add", obj=transition)
    return transition


def transition_remove(*, actor: Actor, transition: Transition) -> None:
    _require_draft(actor, transition.version)
    with transaction.atomic():
        transition.delete()
        audit_record(actor=actor, action="workflow.transition_remove")


# --- The diagram ----------------------------------------------------------------------


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    nodes: list[dict[str, object]]
    edges: list[dict[str, object]]


def workflow_diagram(version: WorkflowVersion) -> Diagram:
    """Stages in a row, forward transitions arched above, backward ones below (SVG)."""
    stages = list(version.stages.order_by("position", "id"))
    index = {s.pk: i for i, s in enumerate(stages)}
    box_w, box_h, gap, top = 150, 56, 40, 90
    nodes = [{"x": 10 + i * (box_w + gap), "y": top, "w": box_w, "h": box_h, "stage": s}
             for i, s in enumerate(stages)]
    edges: list[dict[str, object]] = []
    for t in version.transitions.all():
        a, b = index.get(t.from_stage_id), index.get(t.to_stage_id)
        if a is None or b is None:
            continue
        x1 = 10 + a * (box_w + gap) + box_w / 2
        x2 = 10 + b * (box_w + gap) + box_w / 2
        forward = b > a
        lift = 30 + 18 * abs(b - a)
        y = top if forward else top + box_h
        cy = y - lift if forward else y + lift
        edges.append({"d": f"M {x1:.0f} {y} Q {(x1 + x2) / 2:.0f} {cy} {x2:.0f} {y}",
                      # Pre-formatted: the template would localise floats ("268,0").
                      "label": t.label, "lx": f"{(x1 + x2) / 2:.0f}",
                      "ly": f"{(y + cy) / 2 + (-4 if forward else 12):.0f}"})
    width = 20 + max(1, len(stages)) * (box_w + gap)
    return Diagram(width=width, height=top * 2 + box_h, nodes=nodes, edges=edges)
