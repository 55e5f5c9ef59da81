"""Which schema each app lives in, pinned: an app cannot drift between them unnoticed."""

from django.conf import settings


def test_shared_apps_are_pinned() -> None:
    assert settings.SHARED_APPS == [
        "django_tenants",
        "relier_platform",
        "tenants",
        "billing",
        "onboarding",
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "guardian",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "django.contrib.admin",
        "allauth",
        "allauth.account",
        "allauth.mfa",
        "django_htmx",
        "axes",
        "rest_framework",
        "drf_spectacular",
        "drf_spectacular_sidecar",
    ]


def test_tenant_apps_are_pinned() -> None:
    assert settings.TENANT_APPS == [
        "django.contrib.sessions",
        "tracking",
    ]


def test_stdlib_platform_module_is_not_shadowed() -> None:
    import platform

    assert platform.system()
    assert not hasattr(platform, "settings")
