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


class ApplicationError(Exception):
    """A refusal a person can understand: `message` is translated (French first)."""

    def __init__(self, message: str, *, code: ErrorCode, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
