"""Outgoing webhooks: the endpoints an association's admins subscribe to events (a referral
received, a case's stage changed, a case closed), each event's deliveries (signed with
HMAC-SHA256 and a timestamp, retried with back-off by Celery, listed for the admins), the
disabling of an endpoint that keeps failing, and the admins' settings pages.

Schema: tenant (its tables live in each association's schema, so an association's events
only ever reach its own endpoints).
May import: tracking's shared modules and models, tracking.audit's services, tenants'
public services and selectors (the outbox, the members), relier_platform's core."""
