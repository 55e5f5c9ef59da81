"""The shared platform pieces (public schema: holds no models of its own)."""

from pathlib import Path

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "relier_platform"
    label = "relier_platform"
    verbose_name = "Relier"
    # The package is installed under another name than its folder: say where it lives.
    path = str(Path(__file__).resolve().parent)

    def ready(self) -> None:
        # Load the Celery app with Django so that `shared_task`s bind to it.
        from relier_platform import celery  # noqa: F401
