"""The form renderer's Python widgets (relier_platform.form_renderer) write exactly what
Django's widget templates write: widget by widget over awkward values, and page by page over
every form of the case page, the group pages and the case list's."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from relier_platform import form_renderer
from relier_platform.form_renderer import FastWidgetRenderer
from tests.conftest import World, signed_in
from tests.tracking.factories import make_case

AWKWARD = [None, "", "simple", 'quote " et <balise> & \'apostrophe\'', mark_safe("<b>sûr</b>"),
           gettext_lazy("Tous"), "é à ç — ✓", 0, 3, "0"]
ATTRS = [{}, {"required": True, "disabled": False, "maxlength": 160, "id": "id_x"},
         {"placeholder": gettext_lazy("Numéro ou commune"), "class": 'a"b', "data-n": 0,
          "aria-describedby": mark_safe("aide&nbsp;")}]
CHOICES: list[Any] = [
    ("", "---------"), (1, "Un"), ("2", gettext_lazy("Tous")), (3, mark_safe("<i>trois</i>")),
    ("a<b", 'Ça "cite"'), (4, 4), (5, date(2026, 12, 5)),
    ("Groupe <1>", [(10, "Dix"), (11, "Onze & demi")]),
]


def _rendered(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any],
              renderer: Any) -> str:
    try:
        return widget.render(name, value, attrs=dict(attrs), renderer=renderer)
    except Exception as error:  # a value the widget refuses: refused the same way
        return f"{type(error).__name__}: {error}"


def _both(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any]) -> None:
    fast = _rendered(widget, name, value, attrs, FastWidgetRenderer())
    django = _rendered(widget, name, value, attrs, DjangoTemplates())
    assert fast == django, (type(widget).__name__, value, attrs)


@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_fast_widget_writes_what_django_s_template_writes(
        attrs: dict[str, Any], language: str) -> None:
    widgets: list[forms.Widget] = [
        forms.TextInput(), forms.NumberInput(), forms.EmailInput(), forms.URLInput(),
        forms.PasswordInput(render_value=True), forms.HiddenInput(), forms.SearchInput(),
        forms.TelInput(), forms.ColorInput(), forms.DateInput(), forms.DateTimeInput(),
        forms.TimeInput(), forms.Textarea(), forms.CheckboxInput(),
        forms.Select(choices=CHOICES), forms.SelectMultiple(choices=CHOICES),
        forms.NullBooleanSelect(), forms.RadioSelect(choices=CHOICES[:4]),
        forms.CheckboxSelectMultiple(choices=CHOICES[:4]),
        forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    ]
    with override(language):
        for widget in widgets:
            for value in [*AWKWARD, date(2026, 12, 5), True, False, ["1", 3], ("2",)]:
                _both(widget, "champ", value, attrs)
            _both(widget, 'nom"<étrange>', "x", attrs)


class EveryKind(forms.Form):
    required_css_class = "obligatoire"
    text = forms.CharField(label="Nom <complet>", max_length=20,
                           help_text=gettext_lazy("Numéro ou commune"))
    number = forms.IntegerField(label="Âge ?", required=False, min_value=0)
    day = forms.DateField(label=mark_safe("Jour <abbr>J</abbr>"), required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           label="")
    kind = forms.ChoiceField(choices=CHOICES[:5], label=gettext_lazy("Tous"))
    many = forms.MultipleChoiceField(choices=CHOICES[1:4], required=False,
                                     widget=forms.CheckboxSelectMultiple)
    one = forms.ChoiceField(choices=CHOICES[1:4], widget=forms.RadioSelect, required=False,
                            help_text=mark_safe("<em>aide</em>"))
    agree = forms.BooleanField(label="D'accord", required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


@pytest.mark.parametrize("data", [
    None, {}, {"text": "x" * 30, "number": "-1", "day": "hier", "kind": "zzz"},
    {"text": 'A "B" <c>', "number": "4", "day": "2026-12-05", "kind": "1", "many": ["1", "2"],
     "one": "3", "agree": "on", "note": "ligne\n<deux>", "secret": "s"},
])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_whole_forms_bound_or_not_with_errors_are_django_s(data: Any, language: str) -> None:
    with override(language):
        for how in ("__str__", "as_p", "as_div", "as_table", "as_ul"):
            fast = getattr(EveryKind(data, renderer=FastWidgetRenderer()), how)()
            django = getattr(EveryKind(data, renderer=DjangoTemplates()), how)()
            assert fast == django, (how, data)
        form = EveryKind(data, renderer=FastWidgetRenderer())
        for field in form:
            assert field.as_field_group() == EveryKind(
                data, renderer=DjangoTemplates())[field.name].as_field_group()
            assert field.label_tag(attrs={"class": "x"}, label_suffix=" :") == EveryKind(
                data, renderer=DjangoTemplates())[field.name].label_tag(
                attrs={"class": "x"}, label_suffix=" :")


def _masked(html: str) -> str:
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1…", html)


def _pages(client: Any, pages: list[str]) -> list[str]:
    found = []
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        found.append(_masked(response.content.decode()))
    return found


def test_the_pages_with_forms_are_byte_for_byte_django_s(world: World, settings: Any,
                                                         monkeypatch: Any) -> None:
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin, staff=[world.acme_members["listener"]],
                     town='Saint-Denis "Nord" <93>')
    pages = [f"/dossiers/{case.pk}/", "/dossiers/", "/dossiers/nouveau/", "/groupes/"]
    client = signed_in(admin, world.acme)
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    django_pages = _pages(client, pages)
    settings.FORM_RENDERER = "relier_platform.form_renderer.FastWidgetRenderer"
    written: list[str] = []  # the Python widgets do write these pages

    def counted(write: Any) -> Any:
        def wrapper(context: dict[str, Any]) -> str:
            written.append("")
            return str(write(context))
        return wrapper

    for name, write in list(form_renderer.FAST.items()):
        monkeypatch.setitem(form_renderer.FAST, name, counted(write))
    fast_pages = _pages(client, pages)
    assert len(written) > 20
    for page, django, fast in zip(pages, django_pages, fast_pages, strict=True):
        assert fast == django, page
    assert "<select" in django_pages[0]
    assert "<textarea" in django_pages[0]
