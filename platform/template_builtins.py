"""Builtin template tags of the project (settings.TEMPLATES "builtins"): Django's `{% url %}`
with a memo for constant arguments and `{% extends %}` finding the root's blocks once
(relier_platform.template_memo); `{% site_header %}` (relier_platform.site_header). Schema: any."""

from django import template

from relier_platform.site_header import site_header
from relier_platform.template_memo import extends, url

register = template.Library()
register.tag("url", url)
register.tag("extends", extends)
register.simple_tag(site_header, takes_context=True)
