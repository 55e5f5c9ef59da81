"""The security headers' policies, built from settings values (imported by settings.py).

* Content-Security-Policy (django-csp): everything from our own origin only. No inline
  script and no inline style anywhere — pages load `static/relier/*.js` and take their
  values from `data-` attributes; per-page styles live in `relier.css`; values computed at
  render time (bar widths, stage colours) are SVG attributes, which CSP does not govern.
  A nonce exists for the day an inline script is unavoidable (`{{ request.csp_nonce }}`).
  `form-action` also lists the association hosts (switching association and entering a new
  workspace post on one host and land on another) and Stripe's Checkout and Customer
  Portal (a form posts to us, we redirect there; browsers check redirects of a form).
* Permissions-Policy (django-permissions-policy): no camera, microphone, location, payment
  or sensors for anyone, ourselves included.
* The others are Django settings: HSTS (HTTPS only), Referrer-Policy, nosniff,
  Cross-Origin-Opener-Policy, X-Frame-Options (settings.py).
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE, NONE, SELF

STRIPE_ORIGINS = ["https://checkout.stripe.com", "https://billing.stripe.com"]


def content_security_policy(*, base_domain: str) -> dict[str, Any]:
    hosts = [f"{base_domain}:*", f"*.{base_domain}:*"]
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE],
            "style-src": [SELF],
            # data: for the empty favicon and allauth's TOTP QR code.
            "img-src": [SELF, "data:"],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [NONE],
            "frame-src": [NONE],
            "frame-ancestors": [NONE],
            "form-action": [SELF, *hosts, *STRIPE_ORIGINS],
        },
    }


def permissions_policy() -> dict[str, list[str]]:
    denied = [
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics",
        "camera", "display-capture", "geolocation", "gyroscope", "hid", "idle-detection",
        "magnetometer", "microphone", "midi", "payment", "serial", "usb",
    ]
    policy: dict[str, list[str]] = {feature: [] for feature in denied}
    policy["fullscreen"] = ["self"]
    return policy
