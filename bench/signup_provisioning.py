"""How long from submitting the sign-up form to a usable workspace (e-mail round trip
excluded: the link is used as soon as it is mailed).

    .venv/bin/python bench/signup_provisioning.py [--runs N]

Each run: the sign-up service (checks, row, verification e-mail), the verification (the
provisioning task, run eagerly in this process instead of by a worker: no broker latency),
then the association's home page answered for the new admin through the hand-off pass.
Runs in a throw-away database (bench/provisioning.py's helper); see bench/README.md.
The browser walk (tests/browser/test_onboarding_walk.py -s) prints the same figure with
a real worker and Chromium polling the progress page.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import datetime

os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("RELIER_BASE_DOMAIN", "relier.test")

from provisioning import in_bench_database, quiet


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed sign-ups (5)")
    parser.add_argument("--database", default="relier_bench_signup",
                        help="throw-away database, dropped and re-created")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def one_sign_up(n: int) -> tuple[float, float]:
    """(seconds form → ready, seconds form → admin's home page answered)."""
    from django.core import mail
    from django.test import Client

    from onboarding.models import SignUp
    from onboarding.services.signup import SignUpData, signup_create, signup_enter, signup_verify
    from tenants.tenancy.services import association_host

    started = time.perf_counter()
    signup = signup_create(data=SignUpData(
        association_name=f"Association Bench {n}", identifier=f"W{930000000 + n}",
        slug=f"bench-{n}", contact_name="Nadia Benali", email=f"direction{n}@bench.example",
        password="un-mot-de-passe-solide-42", accept_terms=True, accept_dpa=True))
    body = str(mail.outbox[-1].body)
    match = re.search(r"/inscription/verifier/([A-Za-z0-9_\-]+)/", body)
    assert match, body
    signup_verify(token=match.group(1))  # on commit: the provisioning task, eagerly
    ready = time.perf_counter()
    signup = SignUp.objects.get(pk=signup.pk)
    assert signup.status == "ready", (signup.status, signup.failure)
    host, path = signup_enter(public_id=signup.public_id)
    client = Client(HTTP_HOST=host)
    response = client.get(path, follow=True)
    assert response.status_code == 200, response.status_code
    assert association_host(f"bench-{n}") == host
    return ready - started, time.perf_counter() - started


def main() -> int:
    args = parse_args()

    def body() -> int:
        import django
        from django.core.management import call_command

        from relier_platform.celery import app
        from tenants.tenancy.services import public_tenant_ensure

        app.conf.task_always_eager = True
        print(f"Relier sign-up → workspace bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
        print(f"Python {sys.version.split()[0]}, Django {django.get_version()}")
        with quiet():
            call_command("migrate_schemas", interactive=False, verbosity=0)
        public_tenant_ensure()
        one_sign_up(0)  # warm-up: imports, clone script cache
        ready, usable = [], []
        for n in range(1, args.runs + 1):
            to_ready, to_home = one_sign_up(n)
            ready.append(to_ready)
            usable.append(to_home)
            print(f"  run {n}: ready {to_ready:.3f} s, admin's home page {to_home:.3f} s")
        print(f"form → workspace ready: median {statistics.median(ready):.3f} s "
              f"(min {min(ready):.3f}, max {max(ready):.3f})")
        print(f"form → admin signed in on the home page: median "
              f"{statistics.median(usable):.3f} s")
        return 0

    return in_bench_database(args.database, body)


if __name__ == "__main__":
    sys.exit(main())
