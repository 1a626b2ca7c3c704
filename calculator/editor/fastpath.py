"""The live update's fast path: what the editor does differently from a textbook Django form
so that a keystroke is priced and redrawn in a few milliseconds, each shortcut where it sits
and why, in one list. (Figures from `make bench`: "floors" of the live update, and "worst
case at the limits".)

1. The fields come as one JSON object, not URL-encoded pairs (editor/jsonform.py, the
   `json-form` extension in static/js/app.js): the editor sends some 200 fields on every
   keystroke, and reading them into a QueryDict was a tenth of a live update's time.
2. Fields are cleaned without building bound forms (`clean_fields` below, used by
   scenario.Editor): a BoundField for each of some 200 inputs was most of a live update's
   time. A page that shows the inputs builds the forms from the same data.
3. Cleaning is remembered for fields whose cleaning is a pure function of the text, to an
   immutable value (`remembered_clean`, `remember_cleaning`): as the user types, all but one
   of the inputs are as they were.
4. Row forms share one set of fields (`SharedFields`, set on the three row forms' classes in
   scenario.py) instead of each deep-copying it: the copies were most of a live update's time
   before 2.
5. Row inputs are written as HTML by Python (editor/rows.py, and the row tags of
   templatetags/calc.py), not by bound forms and included templates: a scenario at the limits
   (10,000 participants) took 7.8 s of CPU to draw that way, and an include costs a hundred
   times what a Python string does.
6. The rate cards in effect are read with SQL the ORM wrote once a day (billing/cards.py,
   `_listing`): the ORM's own per-query work cost ten times the query, on every update; and
   the figures' data is written by the C JSON encoder (templatetags/calc.py, `json_data`),
   not Django's json_script.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

FieldErrors = dict[str, list[str]]


class SharedFields(dict):  # type: ignore[type-arg]
    """Row forms never change their fields, so the rows of a section can share one set
    instead of each deep-copying it: the copies were most of a live update's time."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedFields:
        return self


def clean_fields(
    fields: Mapping[str, forms.Field], typed: Mapping[str, str], prefix: str, errors: FieldErrors
) -> dict[str, Any]:
    """One form's values cleaned by its fields, as the bound form would clean them (each
    widget reads its value, the field cleans it), without building the form; messages go to
    `errors` under each input's HTML name."""
    cleaned: dict[str, Any] = {}
    for name, form_field in fields.items():
        value = form_field.widget.value_from_datadict(typed, {}, name)
        if form_field in REMEMBERED:
            ok, result = remembered_clean(form_field, value)
        else:
            ok, result = fresh_clean(form_field, value)
        if ok:
            cleaned[name] = result
        else:
            errors.setdefault(f"{prefix}{name}", []).extend(result)
    return cleaned


def fresh_clean(form_field: forms.Field, value: Any) -> tuple[bool, Any]:
    """(True, the cleaned value) or (False, the messages)."""
    try:
        return True, form_field.clean(value)
    except ValidationError as error:
        return False, tuple(error.messages)


# As the user types, all but one of the editor's 200-odd inputs are as they were; the shared
# fields below clean a text to the same immutable value (or messages) every time.
remembered_clean = lru_cache(maxsize=20_000)(fresh_clean)


# Fields whose cleaning is a pure function of the text, to an immutable value.
REMEMBERED: set[forms.Field] = set()


def remember_cleaning(*fields: forms.Field) -> None:
    """Clean these fields' texts once each (3): their cleaning must be a pure function of the
    text to an immutable value."""
    REMEMBERED.update(fields)
