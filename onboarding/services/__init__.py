"""Writes of onboarding: sign-up, provisioning a signed-up association, invitations, team
changes, tokens, the checklist.

Schema: public (and the new association's schema while provisioning it).
May import: relier_platform's core, tenants (models, tenancy, accounts, outbox), billing,
tracking's services for a team member's hand-over."""
