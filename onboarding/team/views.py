"""Team pages on an association's host (admins only; 404 for everyone else): members,
invitations, roles, deactivation and hand-over of cases, the plan, the checklist."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.selectors import plan_of, seats_used
from onboarding import selectors
from onboarding.forms import InviteForm
from onboarding.services import checklist as checklist_services
from onboarding.team import invitations
from onboarding.team import services as team
from relier_platform.errors import ApplicationError
from tenants.accounts import ratelimit
from tenants.accounts.security import reauthentication_check
from tenants.models import Association, Role, User
from tracking.access import admin_of
from tracking.cases.reassign import cases_reassign, open_case_counts

# Who may see what changes: asked only after a recent sign-in or re-authentication (a
# resent invitation is a new working link into the association).
ACCESS_CHANGES = frozenset({"member.role", "member.deactivate", "member.reactivate",
                            "invitation.resend"})


def _association(request: HttpRequest) -> Association:
    return request.tenant  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _invitation_limits(request: HttpRequest) -> list[tuple[ratelimit.Limit, str]]:
    """An invitation e-mail counts against the admin's and the address's allowance (both
    keys carry the association's schema: another association's admins are unaffected)."""
    return [(ratelimit.INVITE_PER_USER, f"user:{_user(request).pk}"),
            (ratelimit.INVITE_PER_IP, ratelimit.address_key(request))]


@require_http_methods(["GET", "POST"])
def team_page(request: HttpRequest) -> HttpResponse:
    admin_of(request)
    association = _association(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # An invitation gives someone access to the association's data: like a role
        # change, it needs a recent sign-in or re-authentication.
        reauthentication_check(request)
        limits = _invitation_limits(request)
        if not ratelimit.take_all(limits):
            return ratelimit.refused(request)
        try:
            invitation = invitations.invitation_create(
                actor=_user(request), association=association,
                email=form.cleaned_data["email"], role=form.cleaned_data["role"])
        except ApplicationError as error:
            ratelimit.give_back_all(limits)
            form.add_error(error.field if error.field in form.fields else None,
                           error.message)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.")
                             % {"email": invitation.email})
            return redirect("team")
    members = list(selectors.team_list(association=association))
    active = [m for m in members if m.is_active]
    open_counts = open_case_counts()
    plan = plan_of(association)
    return render(request, "onboarding/team.html", {
        "form": form, "members": members, "active_members": active,
        "open_counts": open_counts, "invitations": selectors.invitation_rows(
            association=association),
        "roles": Role.choices, "plan": plan, "seats_used": seats_used(association),
    }, status=400 if form.errors else 200)


def _run(request: HttpRequest, action: str, done: str,
         on_refused: Callable[[], None] | None = None) -> HttpResponse:
    """Apply one team action; its message or its refusal goes back to the team page."""
    association, actor = _association(request), _user(request)
    try:
        if action.startswith("invitation."):
            invitation = selectors.access_invitation(
                association=association, invitation_id=int(request.POST["id"]))
            if action == "invitation.resend":
                invitations.invitation_resend(actor=actor, invitation=invitation)
            else:
                invitations.invitation_revoke(actor=actor, invitation=invitation)
        else:
            membership = selectors.access_membership(
                association=association, membership_id=int(request.POST["id"]))
            if action == "member.role":
                team.member_role_change(actor=actor, membership=membership,
                                        role=request.POST.get("role", ""))
            elif action == "member.deactivate":
                team.member_deactivate(actor=actor, membership=membership)
            elif action == "member.reactivate":
                team.member_reactivate(actor=actor, membership=membership)
            elif action == "member.reassign":
                moved = cases_reassign(actor=admin_of(request),
                                       from_user_id=membership.user_id,
                                       to_user_id=int(request.POST.get("to_user") or 0))
                done = _("%(count)d dossier(s) confié(s) à leur nouveau référent.") % {
                    "count": len(moved)}
    except ApplicationError as error:
        if on_refused is not None:
            on_refused()
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("team")


@require_POST
def team_action(request: HttpRequest) -> HttpResponse:
    admin_of(request)
    if not str(request.POST.get("id", "")).isdigit():
        messages.error(request, _("Action inconnue."))
        return redirect("team")
    actions = {
        "resend": ("invitation.resend", _("Invitation renvoyée : le lien précédent ne "
                                          "fonctionne plus.")),
        "revoke": ("invitation.revoke", _("Invitation révoquée.")),
        "role": ("member.role", _("Rôle modifié.")),
        "deactivate": ("member.deactivate", _("Accès désactivé : la personne est "
                                              "déconnectée, son historique est conservé.")),
        "reactivate": ("member.reactivate", _("Accès rétabli.")),
        "reassign": ("member.reassign", ""),
    }
    chosen = actions.get(str(request.POST.get("action", "")))
    if chosen is None:
        messages.error(request, _("Action inconnue."))
        return redirect("team")
    if chosen[0] in ACCESS_CHANGES:
        reauthentication_check(request)
    if chosen[0] != "invitation.resend":
        return _run(request, *chosen)
    limits = _invitation_limits(request)
    if not ratelimit.take_all(limits):
        return ratelimit.refused(request)
    return _run(request, *chosen, on_refused=lambda: ratelimit.give_back_all(limits))


@require_POST
def checklist_update(request: HttpRequest) -> HttpResponse:
    admin_of(request)
    association, actor = _association(request), _user(request)
    try:
        if request.POST.get("action") == "dismiss":
            checklist_services.checklist_dismiss(actor=actor, association=association)
        else:
            checklist_services.checklist_step_confirm(
                actor=actor, association=association, step=str(request.POST.get("step")))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("home")
