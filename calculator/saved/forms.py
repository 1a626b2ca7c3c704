"""The forms of saved items that are no editor: renaming one, importing a document."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing.engine import ScenarioError, is_estimate, parse_scenario
from billing.engine.reader import MAX_NAME_LENGTH
from billing.forms import TextField
from billing.service import load_json


class RenameForm(forms.Form):
    name = TextField(max_length=MAX_NAME_LENGTH, label="New name")


class ImportForm(forms.Form):
    """A scenario document, as a file or pasted; cleaned to the validated document and the
    scenario the engine read from it."""

    file = forms.FileField(required=False, label="Scenario JSON file")
    text = forms.CharField(
        required=False, label="…or paste it", widget=forms.Textarea(attrs={"rows": 8, "cols": 60})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, text = data.get("file"), data.get("text")
        if upload is None and not text:
            raise ValidationError("Choose a file or paste a scenario document.")
        raw: bytes | str
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise ValidationError("The file is over 2 MB.")
            raw = upload.read()
        else:
            raw = text or ""
        try:
            document = load_json(raw)
        except ScenarioError as error:
            raise ValidationError([str(problem) for problem in error.problems]) from None
        if is_estimate(document):
            raise ValidationError(
                "This is an estimate document (it lists scenarios): Import opens one scenario. "
                "Import each of its scenarios (the API prices the whole estimate: POST it to "
                "/api/estimate), or make a copy of the estimate from its share link."
            )
        try:
            data["scenario"] = parse_scenario(document)
        except ScenarioError as error:
            raise ValidationError([str(problem) for problem in error.problems]) from None
        data["document"] = document
        return data


MAX_IMPORT_BYTES = 2_000_000
