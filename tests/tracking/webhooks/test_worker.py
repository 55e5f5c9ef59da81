"""Webhooks delivered by a real Celery worker (tests/worker.py: a subprocess on the test
database and the real Redis broker) to a real HTTP receiver on 127.0.0.1 that checks each
signature: a referral arrives signed; a receiver failing at first gets it on a retry; one
that always fails sees each delivery fail, then its endpoint disabled and the admins
e-mailed; another association's endpoint never hears of any of it.

The worker sees committed data only: this module commits associations of its own
(`whk1` … `whk4`, used nowhere else). The tests' environment (tests/pytest_env.py) allows
127.0.0.1, makes the first retry 0.1 s and a delivery's attempts 4."""

from __future__ import annotations

import email
import email.policy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Association, User
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World, host_client
from tests.tracking.webhooks.conftest import make_endpoint
from tests.tracking.webhooks.receiver import running
from tests.worker import MAIL_DIR
from tracking.cases.referrals import ReferralData, referral_submit
from tracking.models import Case, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.worker

SLUGS = ("whk1", "whk2", "whk3", "whk4")
TIMEOUT = 60.0
FORM = {
    "referrer_kind": "school", "referrer_name": "CPE Bernadette Canari",
    "referrer_contact": "canari@college.example", "first_name": "Yanis-Canari",
    "birth_year": "2012", "town": "Créteil-Canari",
    "description": "Un élève est insulté chaque jour sur un groupe de messagerie.",
}


@dataclass
class Committed:
    association: Association
    admin: User


@pytest.fixture(scope="module")
def committed(world: World, django_db_blocker: Any) -> dict[str, Committed]:
    out = {}
    with django_db_blocker.unblock():
        for slug in SLUGS:
            created = association_create(
                actor=None, slug=slug, name=f"Association {slug}",
                admin_email=f"admin@{slug}.example", admin_password=PASSWORD)
            out[slug] = Committed(created.association, created.admin)
    return out


def _until(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _deliveries(association: Association) -> list[WebhookDelivery]:
    with schema_context(association.schema_name):
        return list(WebhookDelivery.objects.order_by("pk"))


def _refer(association: Association, first_name: str) -> Case:
    with schema_context(association.schema_name):
        return referral_submit(data=ReferralData(
            referrer_kind="school", referrer_name="Mme Canari",
            referrer_contact="06 00 00 00 00", first_name=first_name, town="Bobigny",
            description=f"{first_name} est harcelé sur un réseau social."),
            ip_address=None).case


def test_a_referral_reaches_its_associations_endpoint_signed(
        committed: dict[str, Committed], worker: None, django_db_blocker: Any) -> None:
    mine, theirs = committed["whk1"], committed["whk2"]
    with django_db_blocker.unblock(), running() as receiver, running() as other:
        endpoint, receiver.secret = make_endpoint(mine.association, mine.admin, receiver.url,
                                                  ["referral.received"])
        _other, other.secret = make_endpoint(theirs.association, theirs.admin, other.url)
        response = host_client(mine.association).post("/signaler", FORM)
        assert response.status_code == 200
        (call,) = receiver.wait_for(1)
        (delivery,) = _until(
            lambda: [d for d in _deliveries(mine.association) if d.status == "delivered"],
            "the delivery marked delivered")
        with schema_context(mine.association.schema_name):
            case = Case.objects.select_related("referral").get()
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        time.sleep(0.5)  # anything wrongly sent to the other association would be there
        assert other.calls == []
        assert _deliveries(theirs.association) == []
    assert call.signed
    assert call.answered == 204
    assert call.headers["Relier-Event"] == "referral.received"
    assert call.headers["Relier-Delivery"] == str(delivery.event_id)
    assert call.json == {
        "id": str(delivery.event_id), "type": "referral.received",
        "created_at": delivery.created_at.isoformat(),
        "data": {"case_id": case.pk, "case_code": case.code, "stage": "received",
                 "detection_source": "referral_form",
                 "received_at": case.referral.received_at.isoformat()},
    }
    body = call.body.decode()
    for value in FORM.values():
        assert value not in body
    assert "Canari" not in body
    assert (delivery.endpoint_id, delivery.attempts, delivery.last_status) == (
        endpoint.pk, 1, 204)


def test_a_receiver_failing_at_first_gets_the_delivery_on_a_retry(
        committed: dict[str, Committed], worker: None, django_db_blocker: Any) -> None:
    mine = committed["whk3"]
    with django_db_blocker.unblock(), running(fail_first=2) as receiver:
        endpoint, receiver.secret = make_endpoint(mine.association, mine.admin, receiver.url)
        case = _refer(mine.association, "Noé-Canari")
        calls = receiver.wait_for(3)
        (delivery,) = _until(
            lambda: [d for d in _deliveries(mine.association) if d.status == "delivered"],
            "the delivery marked delivered")
        with schema_context(mine.association.schema_name):
            endpoint.refresh_from_db()
    assert [c.answered for c in calls] == [503, 503, 204]
    assert all(c.signed for c in calls)
    # The same event each time (one id, one body); only the signature's time may move.
    assert {c.headers["Relier-Delivery"] for c in calls} == {str(delivery.event_id)}
    assert {c.body for c in calls} == {calls[0].body}
    assert calls[0].json["data"]["case_code"] == case.code
    assert (delivery.attempts, delivery.last_status, delivery.last_error) == (3, 204, "")
    assert endpoint.consecutive_failures == 0
    assert endpoint.active


def _webhook_notices(to: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(MAIL_DIR.glob("*.log")) if MAIL_DIR.is_dir() else []:
        for raw in path.read_bytes().split(b"-" * 79):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip() + b"\n",
                                               policy=email.policy.default)
            if to in str(message["To"]) and str(message["Subject"]).strip().startswith("Webhooks"):
                found.append(message)
    return found


def test_a_receiver_that_always_fails_gets_its_endpoint_disabled_and_admins_told(
        committed: dict[str, Committed], worker: None, django_db_blocker: Any) -> None:
    mine = committed["whk4"]
    with django_db_blocker.unblock(), running(fail_first=-1) as receiver:
        endpoint, receiver.secret = make_endpoint(mine.association, mine.admin, receiver.url,
                                                  ["referral.received"])
        for n in range(5):
            _refer(mine.association, f"Canari{n}")
        _until(lambda: len([d for d in _deliveries(mine.association)
                            if d.status == "failed"]) == 5, "five failed deliveries")
        with schema_context(mine.association.schema_name):
            disabled = _until(lambda: WebhookEndpoint.objects.filter(
                pk=endpoint.pk, active=False).first(), "the endpoint disabled")
        (notice,) = _until(lambda: _webhook_notices("admin@whk4.example"),
                           "the admins' e-mail")
        calls = len(receiver.calls)
        # Disabled: the next event makes no delivery, nothing more is sent.
        _refer(mine.association, "Canari5")
        time.sleep(0.5)
        deliveries = _deliveries(mine.association)
    assert calls == 5 * 4 == len(receiver.calls)
    assert all(c.signed and c.answered == 503 for c in receiver.calls)
    assert len(deliveries) == 5
    assert {(d.status, d.attempts, d.last_status, d.last_error) for d in deliveries} == {
        ("failed", 4, 503, "HTTP 503")}
    assert (disabled.consecutive_failures, disabled.disabled_reason) == (
        5, "5 livraisons de suite ont échoué.")
    assert disabled.disabled_at is not None
    text = notice.get_content()
    assert str(notice["Subject"]).strip() == "Webhooks : un point de réception a été désactivé"
    assert receiver.url in text
    assert "5 livraisons de suite ont échoué." in text
    assert "Canari" not in text
    assert json.dumps([d.payload for d in deliveries]).count("Canari") == 0
