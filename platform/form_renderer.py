"""Django's form renderer, with its most used widget templates written in Python. Schema: any.

Rendering a form field goes through Django's template engine: the field's template, then
the widget's, which includes `attrs.html` — and a `<select>` includes `select_option.html`
and `attrs.html` again for every option. On the case page (eleven forms, ~30 fields),
those widget templates were about a quarter of the page's time (bench/RESULTS.md, 7.3).

`FastWidgetRenderer` renders `input.html` (text, number, date, e-mail, hidden, checkbox…),
`select.html` with `select_option.html` options, and `textarea.html` by the same rules as
the templates (Django 5.2's, copied below each function): the same characters, escaped the
same way (`conditional_escape`; `stringformat:'s'` keeps a SafeString safe). A value the
templates would localise (a number, a date) or anything unexpected falls back to Django's
template, as does every other widget. tests/platform/test_form_renderer.py compares both
renderings over many widgets and over every form of the case page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

INPUT = "django/forms/widgets/input.html"
OPTION = "django/forms/widgets/select_option.html"


class _FallbackError(Exception):
    """Something the Python rendering does not handle: Django's template renders it."""


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" % value, escaped unless the value was safe."""
    if isinstance(value, tuple):  # "%s" % (a, b) is not str((a, b)): leave it to Django
        raise _FallbackError
    text = "%s" % value  # noqa: UP031 - exactly the filter's operation
    return text if isinstance(value, SafeData) else str(escape(text))


def _shown(value: Any) -> str:
    """`{{ value }}`: values Django would localise or convert are left to the template."""
    if isinstance(value, (int, float, Decimal, date, datetime, time)) \
            and not isinstance(value, bool):
        raise _FallbackError
    return str(conditional_escape(value))


def _attrs(attrs: dict[str, Any]) -> str:
    # {% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}
    # {% if value is not True %}="{{ value|stringformat:'s' }}"{% endif %}{% endif %}{% endfor %}
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(" " + _shown(name))
        if value is not True:
            out.append('="' + _formatted(value) + '"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    # <input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}
    # value="{{ widget.value|stringformat:'s' }}"{% endif %}{% include "…/attrs.html" %}>\n
    value = widget["value"]
    shown = "" if value == None else ' value="' + _formatted(value) + '"'  # noqa: E711
    return (f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
            f'{shown}{_attrs(widget["attrs"])}>\n')


def _option(option: dict[str, Any]) -> str:
    # <option value="{{ widget.value|stringformat:'s' }}"{% include "…/attrs.html" %}>
    # {{ widget.label }}</option>\n
    if option.get("template_name") != OPTION:
        raise _FallbackError
    return (f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
            f'{_shown(option["label"])}</option>\n')


def _select(widget: dict[str, Any]) -> str:
    # <select name="{{ widget.name }}"{% include "…/attrs.html" %}>{% for group_name,
    # group_choices, group_index in widget.optgroups %}{% if group_name %}\n  <optgroup
    # label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n  {% include
    # option.template_name with widget=option %}{% endfor %}{% if group_name %}\n
    # </optgroup>{% endif %}{% endfor %}\n</select>\n
    out = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            out.append("\n  " + _option(option))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


def _textarea(widget: dict[str, Any]) -> str:
    # <textarea name="{{ widget.name }}"{% include "…/attrs.html" %}>\n{% if widget.value %}
    # {{ widget.value }}{% endif %}</textarea>\n
    value = widget["value"]
    return (f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{_shown(value) if value else ""}</textarea>\n')


def _label(context: dict[str, Any]) -> str:
    # django/forms/label.html: {% if use_tag %}<{{ tag }}{% include 'django/forms/attrs.html'
    # %}>{{ label }}</{{ tag }}>{% else %}{{ label }}{% endif %}\n
    # (django/forms/attrs.html is widgets/attrs.html over `attrs` instead of `widget.attrs`)
    if context["use_tag"]:
        tag = _shown(context["tag"])
        return f"<{tag}{_attrs(context['attrs'] or {})}>{_shown(context['label'])}</{tag}>\n"
    return _shown(context["label"]) + "\n"


def _field(context: dict[str, Any]) -> str:
    # django/forms/field.html, line by line:
    # {% if field.use_fieldset %}\n  <fieldset{% if field.aria_describedby %}
    #   aria-describedby="{{ field.aria_describedby }}"{% endif %}>\n  {% if field.label %}
    #   {{ field.legend_tag }}{% endif %}\n{% else %}\n  {% if field.label %}{{ field.label_tag }}
    #   {% endif %}\n{% endif %}\n{% if field.help_text %}<div class="helptext"{% if
    #   field.auto_id %} id="{{ field.auto_id }}_helptext"{% endif %}>{{ field.help_text|safe
    #   }}</div>{% endif %}\n{{ field.errors }}\n{{ field }}{% if field.use_fieldset %}
    #   </fieldset>{% endif %}\n
    field = context["field"]
    fieldset = field.use_fieldset
    out = []
    if fieldset:
        described = field.aria_describedby
        out.append("\n  <fieldset" + (f' aria-describedby="{_shown(described)}"'
                                        if described else "") + ">\n  ")
        if field.label:
            out.append(_shown(field.legend_tag()))
    else:
        out.append("\n  ")
        if field.label:
            out.append(_shown(field.label_tag()))
    out.append("\n\n")
    if field.help_text:
        auto_id = field.auto_id
        out.append('<div class="helptext"'
                   + (f' id="{_shown(auto_id)}_helptext"' if auto_id else "")
                   + f">{field.help_text}</div>")
    errors = field.errors
    out.append("\n" + (_shown(errors) if errors else "") + "\n" + _shown(field))
    if fieldset:
        out.append("</fieldset>")
    out.append("\n")
    return "".join(out)


def _widget(write: Callable[[dict[str, Any]], str],
            newline: str = "") -> Callable[[dict[str, Any]], str]:
    return lambda context: write(context["widget"]) + newline


FAST: dict[str, Callable[[dict[str, Any]], str]] = {
    INPUT: _widget(_input),
    "django/forms/widgets/select.html": _widget(_select),
    "django/forms/widgets/textarea.html": _widget(_textarea),
    "django/forms/label.html": _label,
    "django/forms/field.html": _field,
}
# Every input type whose template is `{% include "django/forms/widgets/input.html" %}\n`.
for _name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime",
              "time", "search", "tel", "color", "checkbox"):
    FAST[f"django/forms/widgets/{_name}.html"] = _widget(_input, "\n")


class FastWidgetRenderer(DjangoTemplates):
    """DjangoTemplates (Django's default form renderer) with FAST's templates in Python."""

    def render(self, template_name: str, context: dict[str, Any],
               request: Any = None) -> str:
        fast = FAST.get(template_name)
        if fast is not None:
            try:
                return fast(context).strip()  # as DjangoTemplates.render
            except (_FallbackError, KeyError, TypeError):  # as the template would, or a new shape
                pass
        return super().render(template_name, context, request)
