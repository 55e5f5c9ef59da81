"""Settings of the bench's "whole stack" server for the routing ratio (bench/request_path.py):
the product's settings unchanged — every middleware, tenant routing by host — with one more
URL, a trivial page (bench/stack_urls.py)."""

from relier_platform.settings import *  # noqa: F403

ROOT_URLCONF = "stack_urls"
