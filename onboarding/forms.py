"""Forms of onboarding: they shape input; the services decide (no logic here)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import Role


class SignUpForm(forms.Form):
    association_name = forms.CharField(label=_("Nom de l'association"), max_length=200)
    identifier = forms.CharField(
        label=_("Numéro RNA, SIREN ou SIRET"), max_length=30,
        help_text=_("RNA : W suivi de 9 chiffres. SIREN : 9 chiffres. SIRET : 14 chiffres."))
    slug = forms.CharField(
        label=_("Adresse de votre espace"), max_length=40,
        help_text=_("Lettres minuscules sans accent, chiffres et tirets, par exemple "
                    "« liens-solidaires »."))
    contact_name = forms.CharField(label=_("Votre nom"), max_length=150)
    email = forms.CharField(label=_("Votre adresse e-mail"), max_length=254)
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput,
                               max_length=128,
                               help_text=_("Au moins 10 caractères, pas trop courant."))
    accept_terms = forms.BooleanField(required=False)
    accept_dpa = forms.BooleanField(required=False)
    # Honeypot: hidden from people, filled by robots.
    website = forms.CharField(required=False, label=_("Ne pas remplir"))


class InviteForm(forms.Form):
    email = forms.CharField(label=_("Adresse e-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices, initial=Role.LISTENER)


class AcceptForm(forms.Form):
    display_name = forms.CharField(label=_("Votre nom"), max_length=150)
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput,
                               max_length=128,
                               help_text=_("Au moins 10 caractères, pas trop courant."))
