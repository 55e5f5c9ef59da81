"""A typed view of django-tenants' database connection (it adds schema attributes), and
the settings a transaction hands to its schema's triggers."""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

from django.db import connection


class TenantConnection(Protocol):
    schema_name: str

    def set_schema_to_public(self) -> None: ...

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...


def db() -> TenantConnection:
    return cast(TenantConnection, connection)


def quote_identifier(name: str) -> str:
    """A schema or table name for SQL text, its double quotes doubled (names come from the
    catalogue or from slugs, never from a request, but are quoted whatever they hold)."""
    return '"' + name.replace('"', '""') + '"'


def current_schema() -> str:
    return str(getattr(connection, "schema_name", "public"))


_SETTING_NAME = re.compile(r"relier\.[a-z_]+")
_SETTING_VALUE = re.compile(r"[A-Za-z0-9_-]*")


def trigger_setting(name: str, value: str) -> None:
    """Set the custom setting `name` (`relier.…`) for the current transaction only, where
    the association's triggers read it with `current_setting(name, true)`.

    On a Citus cluster those triggers run on the worker holding the schema, which never
    sees a `set_config()` made on the coordinator: a `SET LOCAL` is passed on to the
    transaction's worker connections (those open and those opened later) when
    `citus.propagate_set_commands` is 'local'. That is set first, for this transaction
    only, and only where the setting exists (not on a plain PostgreSQL, where the
    `SET LOCAL` alone does what `set_config(name, value, true)` did)."""
    if not _SETTING_NAME.fullmatch(name) or not _SETTING_VALUE.fullmatch(value):
        raise ValueError(f"invalid setting {name!r} = {value!r}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('citus.propagate_set_commands', 'local', true) "
                       "WHERE current_setting('citus.propagate_set_commands', true) "
                       "IS NOT NULL")
        cursor.execute(f"SET LOCAL {name} TO '{value}'")
