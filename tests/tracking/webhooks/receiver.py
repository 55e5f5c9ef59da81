"""A webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread that checks
each request's signature (tracking.webhooks.signing.verify_signature, as the README tells
receivers to) and can fail its first calls."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tracking.webhooks.signing import verify_signature


@dataclass(frozen=True)
class Call:
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature matched the secret
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, *, fail_first: int = 0, fail_status: int = 503) -> None:
        self.secret = ""  # set once the endpoint is made
        self.fail_first = fail_first  # -1: fail every call
        self.fail_status = fail_status
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signed = verify_signature(receiver.secret,
                                          self.headers.get("Relier-Signature", ""), body)
                with receiver._lock:
                    failing = (receiver.fail_first < 0
                               or len(receiver.calls) < receiver.fail_first)
                    status = 400 if not signed else receiver.fail_status if failing else 204
                    receiver.calls.append(Call(dict(self.headers.items()), body, signed,
                                               status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/relier?v=1"

    def wait_for(self, count: int, timeout: float = 60) -> list[Call]:
        """The calls, once there are at least `count` (or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.calls) < count:
            time.sleep(0.05)
        return list(self.calls)


@contextmanager
def running(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
