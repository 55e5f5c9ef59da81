"""Billing: plans, Stripe subscriptions and their seats, Stripe events (stored, then processed
by tasks), read-only mode when a subscription lapses, and the end of a subscription when
an association closes (closure.py).

Schema: public.
May import: relier_platform's core, tenants.models and tenants' services (audit),
tenants.outbox; tracking only for the members counted as seats."""
