"""A paginator whose cost does not grow with the list: it counts at most `cap` rows. Schema: any.

Django's Paginator runs `COUNT(*)` over every matching row on each page: a sequential scan
of an association's 50,000 cases for the case list's "N dossiers" and "Page 3 sur 600"
(bench/RESULTS.md, "3. Request path"). This one counts `cap` + 1 rows at most
(`SELECT COUNT(*) FROM (… LIMIT cap + 1)`). Up to `cap` matches, pages behave exactly as
Django's; past it the list is `capped`: the count shown is "more than `cap`", a page is
read with one row more to know whether a next one exists, and the total number of pages
is not known. Only a page number past the end (a link kept from a longer list) pays the
exact count, to land on the last page as Django's paginator does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property


class BoundedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def bounded_count(self) -> int:
        """The number of matches, up to `cap` + 1 (counted no further)."""
        rows: Any = self.object_list  # a QuerySet
        return int(rows[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return self.bounded_count > self.cap

    @cached_property
    def count(self) -> int:
        """The exact count: the bounded one when under the cap, else a full COUNT."""
        if not self.capped:
            return self.bounded_count
        rows: Any = self.object_list
        return int(rows.count())

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer") from error
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def get_page(self, number: Any) -> Page:
        """As Django's: a number that is not one gives the first page, one out of range the
        last (a capped list learns it is out of range only by reading the page)."""
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:
            number = self.num_pages
        try:
            return self.page(number)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom: bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage("That page contains no results")
        return CappedPage(rows[: self.per_page], number, self,
                          more=len(rows) > self.per_page)


class CappedPage(Page):
    """A page of a capped list: whether a next page exists was read, not computed."""

    def __init__(self, object_list: Sequence[Any], number: int, paginator: BoundedPaginator,
                 *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more
