"""The one error type that services raise, with codes from an enum."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    SLUG_INVALID = "slug_invalid"
    SLUG_RESERVED = "slug_reserved"
    SLUG_TAKEN = "slug_taken"
    NAME_INVALID = "name_invalid"
    EMAIL_INVALID = "email_invalid"
    ROLE_INVALID = "role_invalid"
    MEMBERSHIP_EXISTS = "membership_exists"
    HANDOFF_INVALID = "handoff_invalid"
    NOT_ALLOWED = "not_allowed"
    DEMO_REFUSED = "demo_refused"
    NOT_FOUND = "not_found"
    DATE_IN_FUTURE = "date_in_future"
    DATE_ORDER = "date_order"
    BIRTH_YEAR_RANGE = "birth_year_range"
    TEXT_TOO_LONG = "text_too_long"
    STAFF_NOT_MEMBER = "staff_not_member"
    PICKLIST_INVALID = "picklist_invalid"
    CAPACITY_EXCEEDED = "capacity_exceeded"
    CONFLICT = "conflict"
    CLINICAL_FORBIDDEN = "clinical_forbidden"
    VALUE_RANGE = "value_range"
    CONSENT_MISSING = "consent_missing"
    # Onboarding: sign-up, invitations, team, plan.
    IDENTIFIER_INVALID = "identifier_invalid"
    IDENTIFIER_TAKEN = "identifier_taken"
    TERMS_REQUIRED = "terms_required"
    PASSWORD_INVALID = "password_invalid"
    SIGNUP_LINK_INVALID = "signup_link_invalid"
    SIGNUP_RATE_LIMITED = "signup_rate_limited"
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_USED = "invitation_used"
    INVITATION_REVOKED = "invitation_revoked"
    INVITATION_WRONG_ACCOUNT = "invitation_wrong_account"
    INVITATION_PENDING = "invitation_pending"
    SEAT_LIMIT = "seat_limit"
    LAST_ADMIN = "last_admin"
    PLAN_INVALID = "plan_invalid"
    # Network publications asked for on demand.
    PUBLICATION_TOO_SOON = "publication_too_soon"
    # The REST API (tracking/api/).
    SCOPE_INVALID = "scope_invalid"


class ApplicationError(Exception):
    """A refusal a person can understand: `message` is translated (French first)."""

    def __init__(self, message: str, *, code: ErrorCode, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
