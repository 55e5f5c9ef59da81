"""Operators' admin (platform site only). Associations are created by the provisioning
service (create_association / sign-up), never here: the admin reads, and toggles access."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from relier_platform.errors import ApplicationError
from tenants.models import (
    Association,
    AuditEntry,
    Domain,
    Membership,
    Network,
    NetworkCoordinator,
    OutboxTask,
    User,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DomainInline(ReadOnlyInline):
    model = Domain
    fields = ("domain", "is_primary")


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "is_active", "created_at", "deactivated_at")


CLOSURE_FIELDS = ("state", "closure_requested_at", "closure_requested_by",
                  "closure_not_before", "closure_confirmed_at", "closure_confirmed_by",
                  "export_file", "export_sha256", "export_made_at")


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "schema_name", "is_active", "state", "closure_not_before",
                    "created_at")
    list_filter = ("is_active", "state")
    search_fields = ("name", "slug")
    readonly_fields = ("name", "slug", "schema_name", "created_at", *CLOSURE_FIELDS)
    fields = ("name", "slug", "schema_name", "is_active", "created_at", *CLOSURE_FIELDS)
    inlines = (DomainInline, MembershipInline)
    actions = ("closure_confirm", "move_to_node")

    @admin.action(description=_("Confirmer la fermeture (après le délai de grâce)"))
    def closure_confirm(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """Second confirmation (tenants/offboarding/services.py): the operator retypes each address
        on an intermediate page; each association is confirmed on its own."""
        from tenants.offboarding.services import association_closure_confirm

        associations = list(queryset.order_by("slug"))
        if request.POST.get("retype_submitted") != "1":
            return render(request, "tenants/offboarding/admin_confirm.html", {
                **self.admin_site.each_context(request), "associations": associations,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": _("Confirmer la fermeture"),
            })
        for association in associations:
            try:
                association_closure_confirm(
                    actor=request.user, association=association,  # type: ignore[arg-type]
                    slug_typed=request.POST.get(f"retype_{association.pk}", ""))
            except ApplicationError as error:
                self.message_user(request, f"{association.slug} : {error.message}",
                                  messages.ERROR)
            else:
                self.message_user(request, _("%(slug)s : fermée, schéma supprimé.")
                                  % {"slug": association.slug}, messages.SUCCESS)
        return None

    @admin.action(description=_("Déplacer vers un autre nœud (cluster Citus)"))
    def move_to_node(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """tenants/tenancy/citus.py: the operator picks the worker on an intermediate page;
        each association is moved whole while it keeps serving, and audited."""
        from tenants.tenancy import citus
        from tenants.tenancy.services import association_move

        if not citus.active():
            self.message_user(request, _("Cette base n'est pas un cluster Citus : il n'y a "
                                         "pas de nœud où déplacer une association."),
                              messages.ERROR)
            return None
        associations = list(queryset.order_by("slug"))
        if request.POST.get("target_submitted") != "1":
            where = citus.schema_nodes()
            return render(request, "tenants/tenancy/admin_move.html", {
                **self.admin_site.each_context(request),
                "rows": [(a, where.get(a.schema_name, "—")) for a in associations],
                "nodes": citus.nodes(), "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": _("Déplacer vers un autre nœud"),
            })
        target = request.POST.get("target", "")
        for association in associations:
            try:
                source = association_move(actor=request.user,  # type: ignore[arg-type]
                                          association=association, target=target)
            except ApplicationError as error:
                self.message_user(request, f"{association.slug} : {error.message}",
                                  messages.ERROR)
            else:
                self.message_user(request, _("%(slug)s : %(source)s → %(target)s.")
                                  % {"slug": association.slug, "source": source,
                                     "target": target}, messages.SUCCESS)
        return None

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).exclude(schema_name="public")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "display_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff")
    search_fields = ("email", "display_name")
    fields = ("email", "display_name", "is_active", "is_staff", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")
    inlines = (MembershipInline,)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")


@admin.register(NetworkCoordinator)
class NetworkCoordinatorAdmin(admin.ModelAdmin):
    list_display = ("user", "network", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record operators read and never write: audit entries, the outbox."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "actor", "association")
    list_filter = ("action",)


class OutboxWaitingFilter(admin.SimpleListFilter):
    title = _("état")
    parameter_name = "etat"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("attente", _("en attente du courtier")), ("envoye", _("envoyée"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "attente":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "envoye":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    """What waits for Redis (tenants/outbox/services.py), read-only: `manage.py outbox_flush` or
    the next minute's beat sends it."""

    list_display = ("created_at", "task_name", "schema_name", "sent_at", "attempts",
                    "last_error")
    list_filter = (OutboxWaitingFilter, "task_name")
