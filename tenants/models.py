"""Every model of the tenants app, gathered here because Django loads an app's models from
`<app>.models`. Each lives in its room: tenancy (associations, domains, the platform's audit
trail), accounts (people, memberships, hand-off tokens, rate counters), networks (networks,
contributions, publications), handovers (hand-overs of a young person between two
associations) and outbox (tasks waiting for the broker). Schema: public."""

from tenants.accounts.models import HandoffToken, Membership, RateCounter, Role, User, UserManager
from tenants.handovers.models import Handover, HandoverStatus
from tenants.networks.models import (
    ContributionRun,
    IndicatorContribution,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    NetworkPublication,
    PublishedCell,
    PublishedStatistic,
)
from tenants.outbox.models import OutboxTask
from tenants.tenancy.models import (
    HOSTS,
    Association,
    AuditEntry,
    Domain,
    domain_cache_key,
    forget_hosts,
)

__all__ = [
    "HOSTS",
    "Association",
    "AuditEntry",
    "ContributionRun",
    "Domain",
    "HandoffToken",
    "Handover",
    "HandoverStatus",
    "IndicatorContribution",
    "Membership",
    "Network",
    "NetworkCoordinator",
    "NetworkMembership",
    "NetworkPublication",
    "OutboxTask",
    "PublishedCell",
    "PublishedStatistic",
    "RateCounter",
    "Role",
    "User",
    "UserManager",
    "domain_cache_key",
    "forget_hosts",
]
