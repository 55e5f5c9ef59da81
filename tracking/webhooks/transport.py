"""One POST to a checked address (targets.Target), with the standard library: the
connection goes to the IP address that was checked (not to whatever the name resolves to
a moment later), TLS is verified against the host's name, no proxy is used and no redirect
followed (an answer 3xx is a failure like any other non-2xx). Schema: none."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from tracking.webhooks.targets import Target

TIMEOUT = 10.0  # seconds, to connect and for each read
MAX_ANSWER = 4096  # bytes of the answer read (only its status matters)


@dataclass(frozen=True)
class Answer:
    status: int


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *,
         timeout: float = TIMEOUT) -> Answer:
    """POST `body`; the answer's status. Raises OSError (refused, timed out, TLS) or
    http.client.HTTPException (a broken answer)."""
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(target, timeout) if target.scheme == "https" else _PinnedHTTP(target, timeout))
    try:
        connection.request("POST", target.path, body=body, headers={
            **headers, "Content-Type": "application/json", "User-Agent": "Relier-Webhooks/1",
        })
        response = connection.getresponse()
        response.read(MAX_ANSWER)
        return Answer(status=response.status)
    finally:
        connection.close()
