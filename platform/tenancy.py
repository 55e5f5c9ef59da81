"""A typed view of django-tenants' database connection (it adds schema attributes)."""

from __future__ import annotations

from typing import Any, Protocol, cast

from django.db import connection


class TenantConnection(Protocol):
    schema_name: str

    def set_schema_to_public(self) -> None: ...

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...


def db() -> TenantConnection:
    return cast(TenantConnection, connection)


def current_schema() -> str:
    return str(getattr(connection, "schema_name", "public"))
