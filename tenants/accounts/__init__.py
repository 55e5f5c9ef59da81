"""Accounts: people (User), their memberships and roles in associations, and how they sign
in — allauth's adapter, the second factor (mfa.py), lockout after failures (lockout.py),
session timeouts and re-authentication (security.py), rate limits (ratelimit.py), switching
association without typing the password again (handoff.py, views.py).

Schema: public (one account for every association; sessions stay per host).
May import: relier_platform's core, tenants.models, tenants.tenancy."""
