"""Writes of the public half of a hand-over (public schema). Called by
tracking.handovers.services inside the transaction that also writes the association's own
file, so that both halves are saved, or neither."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.handovers import crypto
from tenants.handovers.models import Handover, HandoverStatus
from tenants.handovers.selectors import COUNTS, EXPIRY, common_network, count_cache_key
from tenants.models import Association, User
from tenants.tenancy.services import audit


def count_forget(receiver: Association) -> None:
    """Empty the receiver's cached count once the change is committed."""
    def forget() -> None:
        with schema_context(receiver.schema_name):
            COUNTS.forget_shared(count_cache_key(receiver))
            cache.delete(count_cache_key(receiver))

    transaction.on_commit(forget)


def handover_open(*, actor: User, sender: Association, receiver: Association,
                  sender_case_id: int, content: dict[str, Any]) -> Handover:
    """The public record of a new hand-over, its summary sealed for `receiver`."""
    if receiver.pk == sender.pk:
        raise ApplicationError(
            _("Une association ne peut pas se transmettre un dossier à elle-même."),
            code=ErrorCode.NOT_ALLOWED, field="receiver")
    network = common_network(sender, receiver)
    if network is None or receiver.state != Association.State.ACTIVE or not receiver.is_active:
        raise ApplicationError(
            _("Cette association n'est pas membre d'un réseau auquel la vôtre appartient : "
              "la transmission n'est possible qu'entre membres d'un même réseau."),
            code=ErrorCode.NOT_ALLOWED, field="receiver")
    now = timezone.now()
    try:
        with transaction.atomic():
            handover = Handover.objects.create(
                sender=sender, receiver=receiver, network=network, sent_by=actor, sent_at=now,
                expires_at=now + EXPIRY, sender_case_id=sender_case_id,
                summary=crypto.summary_seal(receiver, content))
    except IntegrityError:
        raise ApplicationError(
            _("Ce dossier a déjà été transmis à cette association et attend sa réponse : "
              "retirez d'abord cette transmission pour en envoyer une autre."),
            code=ErrorCode.CONFLICT, field="receiver") from None
    audit("handover.sent", actor=actor, association=sender, handover_id=handover.pk,
          receiver_id=receiver.pk, network_id=network.pk)
    count_forget(receiver)
    return handover


def handovers_withdraw_for_case(*, sender_schema: str, sender_case_id: int) -> int:
    """The sender's case is erased (tracking.privacy): its hand-overs still waiting are
    withdrawn, their summaries destroyed. Returns how many."""
    pending = (Handover.objects.select_for_update(of=("self",))
               .filter(sender__schema_name=sender_schema, sender_case_id=sender_case_id,
                       status=HandoverStatus.PENDING)
               .select_related("receiver"))
    count = 0
    for handover in pending:
        handover_close(handover=handover, status=HandoverStatus.WITHDRAWN, actor=None)
        count += 1
    return count


def handover_content(handover: Handover) -> dict[str, Any]:
    """The summary, opened with the receiver's key (callers run for the receiver)."""
    return crypto.summary_open(handover.receiver, handover.summary)


def handover_close(*, handover: Handover, status: HandoverStatus,
                   actor: User | None) -> Handover:
    """Decide a pending hand-over (the caller locked it): its summary and the sender's
    case id are destroyed; who decided, when and how remain."""
    if not handover.is_pending:
        raise ApplicationError(_("Cette transmission a déjà reçu une réponse."),
                               code=ErrorCode.CONFLICT)
    handover.status = status
    handover.summary = ""
    handover.sender_case_id = None
    handover.decided_by = actor
    handover.decided_at = timezone.now()
    handover.save(update_fields=["status", "summary", "sender_case_id", "decided_by",
                                 "decided_at"])
    # Withdrawing is the sender's act; accepting, refusing (and expiry) the receiver's.
    acting = handover.sender if status == HandoverStatus.WITHDRAWN else handover.receiver
    audit(f"handover.{status}", actor=actor, association=acting, handover_id=handover.pk,
          sender_id=handover.sender_id, receiver_id=handover.receiver_id)
    count_forget(handover.receiver)
    return handover
