"""The association's team: invitations (invitations.py), roles, leaving and hand-over of a
leaving person's cases (services.py), the team page (views.py, urls.py).

Schema: public (memberships, invitations); the hand-over writes in the association's schema.
May import: relier_platform's core, tenants (models, tenancy and account services,
outbox), tracking's services (a leaving person's cases), onboarding's emails and tokens."""
