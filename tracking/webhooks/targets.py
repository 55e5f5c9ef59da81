"""Where a webhook may be sent, against server-side request forgery: https only, and
never to a private, loopback, link-local (the cloud metadata address 169.254.169.254
among them), multicast, reserved or unspecified address — checked when an admin gives the
address and again at every delivery, on the addresses the host resolves to then (a name
may be pointed elsewhere later), and the connection is made to the address checked.
`RELIER_WEBHOOKS_ALLOW_PRIVATE` (on under DEBUG and in the tests) lifts the address rule
and allows http, for a receiver on the developer's machine. Schema: none."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode

MAX_URL_LENGTH = 500


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query string
    address: str  # the IP address the connection goes to


def private_allowed() -> bool:
    return bool(getattr(settings, "RELIER_WEBHOOKS_ALLOW_PRIVATE", False))


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, code=ErrorCode.VALUE_RANGE, field="url")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_parts(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a well-formed webhook address, or a clear refusal."""
    url = url.strip()
    if not url:
        raise _refused(_("Indiquez l'adresse qui recevra les événements."))
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        raise _refused(_("Cette adresse n'est pas valide : elle s'écrit comme "
                         "https://exemple.org/webhooks."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused(_("Cette adresse n'est pas valide : elle s'écrit comme "
                         "https://exemple.org/webhooks.")) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("https", "http") or not host:
        raise _refused(_("L'adresse doit commencer par https:// et nommer un serveur."))
    if scheme == "http" and not private_allowed():
        raise _refused(_("L'adresse doit utiliser https:// (http n'est pas chiffré)."))
    if parts.username or parts.password:
        raise _refused(_("L'adresse ne peut pas contenir d'identifiant ni de mot de passe."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The address to connect to for `url`, checked; refused (ApplicationError, French
    message) when the URL is wrong, the host does not resolve, or any address it
    resolves to is not public (unless private addresses are allowed)."""
    scheme, host, port, path = url_parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refused(_("Le serveur « %(host)s » est introuvable.") % {"host": host}) from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise _refused(_("Le serveur « %(host)s » est introuvable.") % {"host": host})
    if not private_allowed() and not all(_is_public(a) for a in addresses):
        raise _refused(_("Cette adresse mène à un réseau privé ou local : seules les "
                         "adresses publiques sont permises."))
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
