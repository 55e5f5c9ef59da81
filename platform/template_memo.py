"""`{% translate "..." %}` and `{% url 'name' %}` of constant arguments, remembered per node.
Schema: any.

A page's base template alone holds some 80 `translate` and 25 `url` tags whose output
depends only on the language, the URL configuration and the escaping: rendering them was a
third of the case list's template time (bench/RESULTS.md, section 7). These nodes are
Django's own (`TranslateNode`, `URLNode`) with a memo: a constant message is translated
once per translation catalogue (the catalogue object is kept with the value, so a catalogue
loaded anew — `translation_file_changed` — is never answered from an older one), a URL
without arguments is reversed once per URL configuration, script prefix, current app and
language. Anything else (variables, filters, context, arguments) renders as Django does.

Wired in settings.TEMPLATES: the `i18n` library is this module's (Django's tags and filters,
`translate`/`trans` replaced), and `url` is overridden by a builtin library
(relier_platform.template_builtins).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaulttags, loader_tags
from django.template.base import FilterExpression, Parser, TextNode, Token
from django.template.context import Context
from django.templatetags import i18n
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language, trans_real

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)

_url_memo: dict[tuple[Any, ...], str] = {}


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    _url_memo.clear()


def _constant(expression: FilterExpression) -> bool:
    """A quoted string without filters (parsed as the string itself, or as a Variable whose
    literal it is: TranslateNode makes one)."""
    var = expression.var
    if expression.filters:
        return False
    return isinstance(var, str) or (isinstance(var, template.Variable)
                                    and isinstance(var.literal, str) and var.lookups is None)


def _catalogue() -> Any:
    """The translation object `gettext` would use now (django.utils.translation.trans_real)."""
    active = getattr(trans_real._active, "value", None)  # type: ignore[attr-defined]
    return active if active is not None else trans_real.translation(trans_real.get_language())


class MemoTranslateNode(i18n.TranslateNode):
    def render(self, context: Context) -> str:
        if self.message_context is not None or not _constant(self.filter_expression):
            return str(super().render(context))
        memo: dict[bool, tuple[Any, str]] = self.__dict__.setdefault("_memo", {})
        catalogue = _catalogue()
        entry = memo.get(context.autoescape)
        if entry is None or entry[0] is not catalogue:
            asvar, self.asvar = self.asvar, None
            try:
                value = super().render(context)
            finally:
                self.asvar = asvar
            entry = memo[context.autoescape] = (catalogue, value)
        if self.asvar:
            context[self.asvar] = entry[1]
            return ""
        return entry[1]


class MemoURLNode(defaulttags.URLNode):
    def render(self, context: Context) -> str:
        if self.args or self.kwargs or self.asvar or not _constant(self.view_name):
            return str(super().render(context))
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        key = (str(self.view_name.var), get_urlconf(), get_script_prefix(), current_app,
               get_language(), context.autoescape)
        url = _url_memo.get(key)
        if url is None:
            url = _url_memo[key] = str(super().render(context))
        return url


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> MemoTranslateNode:
    node = i18n.do_translate(parser, token)
    node.__class__ = MemoTranslateNode
    return node  # type: ignore[return-value]


class MemoExtendsNode(loader_tags.ExtendsNode):
    """Django's `{% extends %}`, the root template's blocks found once per compiled template
    (Django walks the whole parent template for its BlockNodes on every render)."""

    def render(self, context: Context) -> str:
        compiled_parent = self.get_parent(context)
        if loader_tags.BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[loader_tags.BLOCK_CONTEXT_KEY] = loader_tags.BlockContext()
        block_context = context.render_context[loader_tags.BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        for node in compiled_parent.nodelist:
            # The ExtendsNode has to be the first non-text node.
            if not isinstance(node, TextNode):
                if not isinstance(node, loader_tags.ExtendsNode):
                    blocks = compiled_parent.__dict__.get("_relier_blocks")
                    if blocks is None:
                        blocks = compiled_parent.__dict__["_relier_blocks"] = {
                            n.name: n for n in  # type: ignore[attr-defined]
                            compiled_parent.nodelist.get_nodes_by_type(loader_tags.BlockNode)}
                    block_context.add_blocks(blocks)
                break
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return str(compiled_parent._render(context))  # type: ignore[attr-defined]


def extends(parser: Parser, token: Token) -> MemoExtendsNode:
    """`{% extends %}` (relier_platform.template_builtins registers it as a builtin)."""
    node = loader_tags.do_extends(parser, token)
    node.__class__ = MemoExtendsNode
    return node  # type: ignore[return-value]


def url(parser: Parser, token: Token) -> MemoURLNode:
    """`{% url %}` (relier_platform.template_builtins registers it as a builtin)."""
    node = defaulttags.url(parser, token)
    node.__class__ = MemoURLNode
    return node  # type: ignore[return-value]
