"""Hand-over of a young person to another association of a network, each association's
half: what its file keeps (models.py: the hand-over sent, or received and accepted), the
services that write both halves in one transaction — the public record
(tenants.handovers) and the association's own file — (services.py), the nightly expiry
(tasks.py) and the admins' pages (views.py).

Schema: tenant (the public record is reached only through tenants.handovers' services and
selectors).
May import: tracking's shared modules and models, tracking.cases' services (a new case is
opened by the usual service), tracking.audit's services, tenants.handovers, tenants'
public models and services, relier_platform's core."""
