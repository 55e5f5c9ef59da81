"""Writes of onboarding (schema: public): sign-up and provisioning, invitations, the
team, the first-run checklist. One module per subject."""
