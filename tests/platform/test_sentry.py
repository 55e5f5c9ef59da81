"""What reaches Sentry: the real outgoing envelope, caught by a transport that keeps it
on the machine. People's data (form fields, local variables, cookies, session ids) is
never in it; the event is there and tagged with its tenant."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
import sentry_sdk
from django.test import override_settings
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from relier_platform.sentry import init_sentry
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db

FAKE_DSN = "https://public@sentry.example/1"


class KeepingTransport(Transport):
    """Keeps every envelope the client would have sent, serialized as on the wire."""

    def __init__(self, options: dict[str, object] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    @property
    def wire(self) -> bytes:
        return b"".join(envelope.serialize() for envelope in self.envelopes)

    def events(self) -> list[dict[str, Any]]:
        events = (envelope.get_event() for envelope in self.envelopes)
        return [cast(dict[str, Any], event) for event in events if event is not None]


@pytest.fixture
def sentry() -> Iterator[KeepingTransport]:
    """Sentry initialised as in production (init_sentry), with the keeping transport;
    afterwards the client is closed and the process is left without Sentry again."""
    init_sentry(dsn=FAKE_DSN, environment="test", transport=KeepingTransport)
    transport = sentry_sdk.get_client().transport
    assert isinstance(transport, KeepingTransport)
    try:
        # Tags and event processors added during the test die with this scope.
        with sentry_sdk.isolation_scope():
            yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)  # back to "no Sentry"
    assert not sentry_sdk.get_client().is_active()


def canary() -> str:
    # Built at run time: the value never appears in source code (source context is sent).
    return f"CANARY-{uuid.uuid4().hex}"


def _post_boom(world: World, data: dict[str, str]) -> tuple[int, dict[str, str]]:
    client = signed_in(world.acme_members["admin"], world.acme)
    client.raise_request_exception = False
    # A page with a form: the client now also holds a CSRF cookie besides its session.
    assert client.get("/").status_code == 200
    with override_settings(ROOT_URLCONF="tests.platform.boom_urls"):
        response = client.post("/boom/", data)
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    return response.status_code, cookies


def test_posted_form_data_never_reaches_sentry(world: World, sentry: KeepingTransport) -> None:
    first_name, clinical_note = canary(), canary()
    status, _cookies = _post_boom(
        world, {"first_name": first_name, "clinical_note": clinical_note}
    )
    assert status == 500
    assert sentry.envelopes, "the failure was not reported to Sentry"
    events = sentry.events()
    assert any(
        "BoomError" in json.dumps(event.get("exception", {})) for event in events
    ), "the exception itself is missing from the event"
    assert all((event.get("tags") or {}).get("tenant") == "a_acme" for event in events)
    wire = sentry.wire
    assert first_name.encode() not in wire
    assert clinical_note.encode() not in wire


def test_local_variables_never_reach_sentry(world: World, sentry: KeepingTransport) -> None:
    secret = canary()

    def handle(note: str) -> None:
        clinical_note = note.upper().lower()  # a local of the failing frame
        raise ValueError(f"failed after {len(clinical_note)} characters")

    try:
        handle(secret)
    except ValueError:
        sentry_sdk.capture_exception()

    assert sentry.envelopes, "the exception was not reported to Sentry"
    frames = [
        frame
        for event in sentry.events()
        for value in event["exception"]["values"]
        for frame in value["stacktrace"]["frames"]
    ]
    assert frames
    assert all("vars" not in frame for frame in frames)
    assert secret.encode() not in sentry.wire


def test_no_cookie_nor_session_id_reaches_sentry(world: World, sentry: KeepingTransport) -> None:
    options = sentry_sdk.get_client().options
    assert options["send_default_pii"] is False
    assert not sentry_sdk.get_client().should_send_default_pii()

    status, cookies = _post_boom(world, {"first_name": canary()})
    assert status == 500
    assert {"sessionid", "csrftoken"} <= cookies.keys()
    assert sentry.envelopes, "the failure was not reported to Sentry"
    wire = sentry.wire
    for name, value in cookies.items():
        assert value, name
        assert value.encode() not in wire, f"cookie {name} reached Sentry"
    for event in sentry.events():
        request = event.get("request") or {}
        assert isinstance(request, dict)
        assert "cookies" not in request
        assert "data" not in request
        headers = {k.lower() for k in (request.get("headers") or {})}
        assert "cookie" not in headers
        assert "authorization" not in headers
        assert "user" not in event
