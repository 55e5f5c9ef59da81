"""Builtin template tags of the project (settings.TEMPLATES "builtins"): Django's `{% url %}`
with a memo for constant arguments (relier_platform.template_memo). Schema: any."""

from django import template

from relier_platform.template_memo import url

register = template.Library()
register.tag("url", url)
