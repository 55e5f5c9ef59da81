"""The upload and withdrawal forms of a case's documents. Schema: none."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier"), required=False, allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={
                               "accept": ".pdf,.png,.jpg,.jpeg,.odt,.docx,.txt"}))
    clinical = forms.BooleanField(
        label=_("Document clinique (lu par les psychologues seulement)"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Motif du retrait"), required=False)
