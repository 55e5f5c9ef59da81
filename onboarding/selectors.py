"""Reads of onboarding: sign-ups, invitations, the team, the first-run checklist.
Schema: public (the checklist also reads the association's own schema)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from billing.models import Subscription
from onboarding.models import Checklist, Invitation, SignUp
from tenants.models import Association, Membership


def signup_get(*, public_id: UUID) -> SignUp:
    signup = SignUp.objects.select_related("association").filter(public_id=public_id).first()
    if signup is None:
        raise Http404
    return signup


# A sign-up counts as in progress for this long after its workspace was made ready: a
# request that missed the domain just before the provisioning committed checks the sign-up
# just after (tenants.tenancy.middleware), and must still not cache "unknown".
READY_SETTLING = timedelta(minutes=5)


def signup_in_progress_for_host(*, hostname: str) -> bool:
    """Whether a sign-up holds the address of `hostname` and its workspace is not there yet
    (or has just been made): the host must not be remembered as unknown. One query."""
    suffix = f".{settings.BASE_DOMAIN}"
    slug = hostname[: -len(suffix)] if hostname.endswith(suffix) else ""
    if not slug or "." in slug:
        return False
    waiting = (SignUp.Status.PENDING, SignUp.Status.VERIFIED, SignUp.Status.PROVISIONING)
    return SignUp.objects.filter(
        Q(status__in=waiting)
        | Q(status=SignUp.Status.READY, ready_at__gte=timezone.now() - READY_SETTLING),
        slug=slug,
    ).exists()


def team_list(*, association: Association) -> QuerySet[Membership]:
    """Everyone who is or was in the team: active first, then by name."""
    return (Membership.objects.filter(association=association).select_related("user")
            .order_by("-is_active", "user__display_name", "user__email"))


def invitation_list(*, association: Association) -> QuerySet[Invitation]:
    """Invitations still open (pending or expired, neither accepted nor revoked)."""
    return (Invitation.objects.filter(association=association, accepted_at__isnull=True,
                                      revoked_at__isnull=True)
            .select_related("invited_by").order_by("-created_at"))


def access_membership(*, association: Association, membership_id: int) -> Membership:
    """A membership of this association (404 for any other, like a missing one)."""
    membership = (Membership.objects.select_related("user", "association")
                  .filter(pk=membership_id, association=association).first())
    if membership is None:
        raise Http404
    return membership


def access_invitation(*, association: Association, invitation_id: int) -> Invitation:
    invitation = (Invitation.objects.select_related("association")
                  .filter(pk=invitation_id, association=association).first())
    if invitation is None:
        raise Http404
    return invitation


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    title: str | Promise
    help: str | Promise
    url: str | None
    done: bool
    confirmable: bool


@dataclass(frozen=True)
class ChecklistView:
    steps: list[ChecklistStep]
    dismissed: bool

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def _url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _imports_exist(schema_name: str) -> bool:
    """An import was run (tracking.ImportRun, added by the import work; absent → no)."""
    try:
        model = apps.get_model("tracking", "ImportRun")
    except LookupError:
        return False
    with schema_context(schema_name):
        return bool(model.objects.exists())


def checklist_get(*, association: Association, row: Checklist | None = None) -> ChecklistView:
    """Each step ticked from real state: the association's audit log (workflow, lists),
    its invitations and team, its subscription, its imports."""
    from tracking.models import AuditLog

    checklist = row or Checklist.objects.filter(association=association).first()
    confirmed = set(checklist.confirmed_steps) if checklist else set()
    with schema_context(association.schema_name):
        actions = AuditLog.objects.filter(
            action__regex=r"^(workflow|picklist|custom_field)\.")
        workflow_done = actions.filter(action__startswith="workflow.").exists()
        lists_done = actions.exclude(action__startswith="workflow.").exists()
    team_done = (Invitation.objects.filter(association=association).exists()
                 or Membership.objects.filter(association=association, is_active=True)
                 .count() > 1)
    plan_done = Subscription.objects.filter(association=association,
                                            plan_chosen_at__isnull=False).exists()
    steps = [
        ChecklistStep("workflow", _("Choisir ou adapter le parcours des dossiers"),
                      _("Le parcours prêt à l'emploi est en place : gardez-le ou adaptez "
                        "ses étapes."), _url("workflow_editor"),
                      workflow_done or "workflow" in confirmed, True),
        ChecklistStep("team", _("Inviter l'équipe"),
                      _("Psychologues, écoutants, bénévoles : chacun avec son rôle."),
                      _url("team"), team_done, False),
        ChecklistStep("picklists", _("Relire les listes"),
                      _("Sources de détection, types de situation, programmes…"),
                      _url("picklists"), lists_done or "picklists" in confirmed, True),
        ChecklistStep("plan", _("Choisir l'offre"),
                      _("Essai gratuit de 30 jours, puis l'offre adaptée à votre équipe."),
                      _url("billing_plan"), plan_done, False),
        ChecklistStep("import", _("Importer vos données"),
                      _("Depuis un fichier CSV ou XLSX, dont un export Monday.com."),
                      _url("import_home", "import_start"),
                      _imports_exist(association.schema_name), False),
    ]
    dismissed = bool(checklist and checklist.dismissed_at)
    return ChecklistView(steps=steps, dismissed=dismissed)


def invitation_rows(*, association: Association) -> list[tuple[Invitation, str]]:
    now = timezone.now()
    return [(i, i.state(now)) for i in invitation_list(association=association)]
