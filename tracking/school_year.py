"""Dates of the field: school years (1 September – 31 August) and age brackets."""

from __future__ import annotations

from datetime import date

AGE_BRACKETS = [(3, 5), (6, 10), (11, 14), (15, 17), (18, 21), (22, 25)]


def age_bracket(birth_year: int | None, on: date) -> str:
    """Bracket of a young person's age at `on`, from the birth year alone (age reached
    during that calendar year)."""
    if birth_year is None:
        return "unknown"
    age = on.year - birth_year
    for low, high in AGE_BRACKETS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "under-3" if age < 3 else "over-25"


def school_year_of(day: date) -> int:
    """The school year containing `day`, named by its starting year (2024 = 2024-2025)."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_bounds(start_year: int) -> tuple[date, date]:
    return date(start_year, 9, 1), date(start_year + 1, 8, 31)


def school_year_label(start_year: int) -> str:
    return f"{start_year}-{start_year + 1}"
