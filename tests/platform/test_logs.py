"""Structured logs: with the LOGGING of settings.py, a request on an association's host
writes JSON lines carrying its schema and the request id the proxy sent, which the response
returns; an id with junk in it is replaced by a fresh one."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from relier_platform.requestid import ContextFilter, JsonFormatter, clean_request_id
from tests.conftest import World, host_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The project's LOGGING, with its console handler writing into a buffer."""
    stream = io.StringIO()
    config: dict[str, Any] = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        logging.config.dictConfig(settings.LOGGING)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_settings_log_json_through_the_context_filter() -> None:
    logging_config: dict[str, Any] = settings.LOGGING
    console = logging_config["handlers"]["console"]
    assert console["filters"] == ["context"]
    assert logging_config["filters"]["context"]["()"] == (
        "relier_platform.requestid.ContextFilter")
    assert logging_config["formatters"]["json"]["()"] == (
        "relier_platform.requestid.JsonFormatter")
    assert console["formatter"] == ("json" if settings.LOG_JSON else "plain")


def test_a_request_on_an_association_host_logs_its_schema_and_request_id(
    world: World, log_lines: io.StringIO,
) -> None:
    response = host_client(world.acme).get("/readyz", HTTP_X_REQUEST_ID="proxy-id-0123456789")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "proxy-id-0123456789"
    access = [r for r in _records(log_lines) if r["logger"] == "relier.request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "proxy-id-0123456789"
    assert line["schema"] == "a_acme"
    assert line["message"] == "GET /readyz 200"
    assert (line["level"], line["method"], line["path"], line["status"]) == (
        "INFO", "GET", "/readyz", 200)


def test_a_request_id_with_junk_characters_is_replaced(
    world: World, log_lines: io.StringIO,
) -> None:
    response = host_client(world.acme).get(
        "/readyz", HTTP_X_REQUEST_ID="abc\u00e9<script>\"; DROP")
    sent_back = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", sent_back)
    access = [r for r in _records(log_lines) if r["logger"] == "relier.request"]
    assert [r["request_id"] for r in access] == [sent_back]


def test_a_request_without_id_gets_a_fresh_one_each_time(world: World) -> None:
    first = host_client().get("/healthz")["X-Request-ID"]
    second = host_client().get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize(("raw", "kept"), [
    ("0123456789abcdef", True),
    ("a" * 128, True),
    ("a" * 129, False),
    ("short", False),
    ("with space inside", False),
    ("", False),
    (None, False),
])
def test_clean_request_id(raw: str | None, kept: bool) -> None:
    assert (clean_request_id(raw) == raw) is kept


def test_a_record_outside_any_request_carries_the_active_schema(world: World) -> None:
    from django_tenants.utils import schema_context

    record = logging.LogRecord("relier.task", logging.INFO, __file__, 1, "done %s", ("x",),
                               None)
    with schema_context("a_beta"):
        ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert (line["schema"], line["request_id"], line["message"]) == ("a_beta", None, "done x")
