"""Constant `{% translate %}` and `{% url %}` remembered per node (relier_platform.template_memo):
the same output as Django's, in every language and catalogue, and Django's own path for
anything that is not constant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.template import Context, Engine, engines
from django.urls import NoReverseMatch, reverse, set_urlconf
from django.utils import translation

from relier_platform.template_memo import MemoTranslateNode, MemoURLNode

SOURCE = ("{% load i18n %}{% translate 'Dossiers' %}|{% url 'case_list' %}|"
          "{% translate 'Dossiers' as label %}{{ label }}|{% url 'case_detail' 7 %}|"
          "{% url 'nulle-part' as missing %}[{{ missing }}]|{% translate word %}")


@pytest.fixture
def tenant_urls() -> Iterator[None]:
    set_urlconf("relier_platform.urls_tenant")
    yield
    set_urlconf(None)


def _render(language: str) -> str:
    template = engines["django"].from_string(SOURCE)
    with translation.override(language):
        return template.render({"word": "Groupes"})


def test_the_project_engine_uses_the_memo_nodes() -> None:
    template = engines["django"].from_string(SOURCE).template  # type: ignore[attr-defined]
    assert template.nodelist.get_nodes_by_type(MemoTranslateNode)
    assert template.nodelist.get_nodes_by_type(MemoURLNode)


def test_same_output_as_django_in_each_language(tenant_urls: None,
                                                english_catalogue: None) -> None:
    plain = Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(SOURCE)
    for language in ("fr", "en", "fr", "en"):
        with translation.override(language):
            expected = plain.render(Context({"word": "Groupes"}))
        assert _render(language) == expected
    assert _render("fr") == (f"Dossiers|{reverse('case_list')}|Dossiers|"
                             f"{reverse('case_detail', args=[7])}|[]|Groupes")
    assert _render("en").startswith("Cases|")


def test_a_missing_url_still_raises(tenant_urls: None) -> None:
    template = engines["django"].from_string("{% url 'nulle-part' %}")
    with pytest.raises(NoReverseMatch):
        template.render({})
