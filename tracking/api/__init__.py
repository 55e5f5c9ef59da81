"""The association's REST API, under /api/v1/ on its host: keys (created and revoked by
its admins, scoped, hashed at rest, in the association's schema, so that a key presented
on another association's host does not exist there), how each call authenticates, is
permitted, throttled and audited, and the endpoints (referrals, cases).

Schema: tenant (its tables live in each association's schema).
May import: tracking's rooms (their services and selectors), tracking's shared modules,
tenants' public services and selectors, relier_platform's core."""
