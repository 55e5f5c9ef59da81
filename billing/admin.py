"""Operators' view of billing (platform site only): associations by plan and status, the
monthly recurring revenue, the payers (a sponsor is attached to an association here) and
the Stripe events received. Nothing can be deleted from here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.template.response import TemplateResponse

from billing.models import Payer, StripeEvent, Subscription
from billing.plans import PLANS, euros
from billing.selectors import monthly_recurring_revenue_cents


class NoDelete(admin.ModelAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(NoDelete):
    change_list_template = "billing/admin_subscription_list.html"
    list_display = ("association", "plan_code", "status", "quantity", "payer",
                    "grace_started_at", "current_period_end")
    list_filter = ("plan_code", "status")
    search_fields = ("association__name", "association__slug", "stripe_subscription_id")
    list_select_related = ("association", "payer")
    fields = ("association", "plan_code", "status", "payer", "quantity", "trial_ends_at",
              "stripe_subscription_id", "stripe_status", "current_period_end",
              "grace_started_at", "unpaid_invoice_id", "synced_at")
    readonly_fields = ("association", "plan_code", "status", "quantity",
                       "stripe_subscription_id", "stripe_status", "current_period_end",
                       "grace_started_at", "unpaid_invoice_id", "synced_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        counts = (Subscription.objects.values("plan_code", "status")
                  .annotate(n=Count("id")).order_by("plan_code", "status"))
        summary = [{"plan": PLANS[row["plan_code"]].name if row["plan_code"] in PLANS
                    else row["plan_code"], "status": Subscription.Status(row["status"]).label,
                    "count": row["n"]} for row in counts]
        context = {**(extra_context or {}), "billing_summary": summary,
                   "mrr_euros": euros(monthly_recurring_revenue_cents())}
        return super().changelist_view(request, extra_context=context)  # type: ignore[return-value]


@admin.register(Payer)
class PayerAdmin(NoDelete):
    list_display = ("name", "email", "is_sponsor", "stripe_customer_id")
    list_filter = ("is_sponsor",)
    search_fields = ("name", "email", "stripe_customer_id")
    readonly_fields = ("stripe_customer_id",)


@admin.register(StripeEvent)
class StripeEventAdmin(NoDelete):
    list_display = ("event_id", "type", "received_at", "processed_at", "attempts", "sweeps",
                    "abandoned_at")
    list_filter = ("type", ("processed_at", admin.EmptyFieldListFilter),
                   ("abandoned_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id",)
    readonly_fields = ("event_id", "type", "payload", "received_at", "processed_at",
                       "attempts", "error", "sweeps", "next_sweep_at", "abandoned_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

