"""Tenancy: associations, their hosts (domains), their schemas (provisioning from the
template, the migration executor, the per-connection schema cap), the request's routing
(host → association → membership, tenancy/middleware.py) and the platform's audit trail
(AuditEntry, its retention).

Schema: public. Provisioning creates and clones association schemas.
May import: relier_platform's core, tenants.models, tenants.accounts (roles), tracking's
list defaults (a new association's lists)."""
