"""The editor's forms: strings in, domain values out, and the engine's problems put back
beside the field at fault."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms

from billing.engine import Meter, Model, Problem
from billing.engine.jsonio import dumps
from billing.engine.plausibility import Doubt
from billing.engine.ratecard import (
    GRADUATED,
    MAX_ADDONS,
    MAX_FEE_KEY,
    MAX_FEES,
    MAX_INCREMENT_SECONDS,
    MAX_MONEY,
    MAX_RATE,
    PER_MONTH,
    PER_SESSION,
    RATE_PLACES,
    VOLUME,
)
from billing.engine.reader import MAX_NAME_LENGTH
from billing.engine.roster import members
from billing.engine.scenario import (
    MAX_FEE_COUNT,
    MAX_GROUPS,
    MAX_INTERVALS,
    MAX_MEMBERS,
    MAX_PARTICIPANTS,
    MAX_SESSIONS_PER_MONTH,
    Group,
    group_document,
)
from billing.engine.timefmt import clock
from billing.forms import PlainIntegerField, TextField
from calculator.editor.columns import BY_NAME, GROUP_COLUMNS, HEADINGS, PARTICIPANT_COLUMNS
from calculator.editor.fastpath import (
    FieldErrors,
    SharedFields,
    clean_fields,
    remember_cleaning,
)
from calculator.editor.fields import (
    BoundedDecimalField,
    ClockField,
    DocumentField,
    WholeNumberField,
    offer,
)

MODEL_CHOICES = [(model.value, model.label) for model in Model]
# The participants' columns' choices, for the other forms that offer them (bulk add,
# conferences).
ENDPOINT_CHOICES = list(BY_NAME["endpoint"].choices.items())
MEDIA_CHOICES = list(BY_NAME["media"].choices.items())


# MEDIA_FIELD: a form field named "media" is a field, not the form's Media (CSS and scripts):
# Django's form metaclass takes declared fields out of the class. The type stubs see a class
# attribute overriding Form.media, hence the ignores on those lines.


class ScenarioForm(forms.Form):
    name = TextField(max_length=MAX_NAME_LENGTH, required=False, label="Scenario name")
    model = forms.ChoiceField(choices=MODEL_CHOICES, label="Pricing model")
    sessions_per_month = WholeNumberField(
        min_value=0, max_value=MAX_SESSIONS_PER_MONTH, label="Sessions per month"
    )
    rate_card = forms.ChoiceField(label="Rate card")
    increment_seconds = WholeNumberField(
        min_value=1, max_value=MAX_INCREMENT_SECONDS, required=False, label="Increment (s)"
    )
    minimum_seconds = WholeNumberField(
        min_value=0, max_value=MAX_INCREMENT_SECONDS, required=False, label="Minimum (s)"
    )
    currency = forms.RegexField(
        regex=r"^[A-Z]{3}$",
        required=False,
        label="Currency",
        error_messages={"invalid": "Enter a three-letter code such as USD."},
        widget=forms.TextInput(attrs={"size": 4, "placeholder": "card's"}),
    )
    rounding = forms.ChoiceField(
        choices=[
            ("", "as the card says"),
            ("interval", "each call, recording or subscription on its own"),
            ("session", "a session's total, once per meter"),
            ("month", "the month's total, once per meter"),
        ],
        required=False,
        label="What is rounded",
    )
    # Graduated tiers of an imported card, and how they price a month: kept through the
    # editor, not edited in it.
    tiers = DocumentField(required=False, widget=forms.HiddenInput)
    # A spend commitment: a month below it is made up to it.
    monthly_minimum = BoundedDecimalField(
        min_value=Decimal(0),
        max_value=MAX_MONEY,
        max_digits=24,
        decimal_places=12,
        what="an amount of money",
        required=False,
        label="Monthly minimum commitment",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
    )
    # The saved revision this form was opened from: a save naming an older one is refused.
    revision = PlainIntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, cards: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["rate_card"], cards)
        for meter in Meter:
            self.fields[f"mode_{meter}"] = forms.ChoiceField(
                choices=TIER_MODE_CHOICES,
                required=False,
                label=f"{meter.label}: tiers",
            )
            self.fields[f"rate_{meter}"] = BoundedDecimalField(
                min_value=Decimal(0),
                max_digits=24,
                decimal_places=12,
                what="a price a minute",
                required=False,
                label=meter.label,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )

    def rate_fields(self) -> list[forms.BoundField]:
        return [self[f"rate_{meter}"] for meter in Meter]

    def mode_fields(self) -> list[forms.BoundField]:
        return [self[f"mode_{meter}"] for meter in Meter]


TIER_MODE_CHOICES = [
    ("", "as the card says"),
    (GRADUATED, "graduated: each slice at its tier's rate"),
    (VOLUME, "volume: the whole month at the tier reached"),
]


# A new participant's row as typed, before what depends on the rows above it.
NEW_PARTICIPANT = {column.name: column.new for column in PARTICIPANT_COLUMNS}


class RowForm(forms.Form):
    def has_changed(self) -> bool:
        """Every row the editor sends is a row (blank ones are errors), so the formset need not
        compare each field with an initial value to find empty extra rows."""
        return True


class ParticipantForm(RowForm):
    """A participant's row: its fields are the columns' (columns.py), set below."""


class GroupForm(RowForm):
    """A group's row: its fields are the group columns' (columns.py), set below."""


class IntervalForm(RowForm):
    start = ClockField()
    end = ClockField()


class ConferenceForm(IntervalForm):
    media = forms.ChoiceField(choices=MEDIA_CHOICES)  # type: ignore[assignment]  # (see MEDIA_FIELD)


class FeeCountForm(RowForm):
    """How many of one of the card's fees the scenario has (a fee's key, a whole number). A
    row whose fee is not chosen yet counts nothing (the prices stay on screen meanwhile)."""

    fee = TextField(max_length=MAX_FEE_KEY, required=False, label="Fee")
    count = WholeNumberField(min_value=0, max_value=MAX_FEE_COUNT, label="How many")


class DealItemForm(RowForm):
    """A keyed item of the deal's own (an add-on or a fee): its key and the name it shows."""

    key = TextField(max_length=MAX_FEE_KEY, required=False, label="Key")
    label = TextField(max_length=MAX_NAME_LENGTH, required=False, label="Name")


class CardAddOnForm(DealItemForm):
    """An add-on meter of the deal: a new one, or one of the card's at another rate."""

    rate = BoundedDecimalField(
        min_value=Decimal(0),
        max_value=MAX_RATE,
        decimal_places=RATE_PLACES,
        what="a rate a minute",
        required=False,
        label="Rate a minute",
    )


class CardFeeForm(DealItemForm):
    """A fee of the deal: a new one, or one of the card's at another price."""

    per = forms.ChoiceField(choices=[(PER_MONTH, "a month"), (PER_SESSION, "a session")])
    price = BoundedDecimalField(
        min_value=Decimal(0),
        max_value=MAX_MONEY,
        decimal_places=RATE_PLACES,
        what="a price",
        required=False,
        label="Price",
    )


class AddOnForm(RowForm):
    """An add-on interval: which of the card's add-ons it bills (its key), from when to when."""

    meter = TextField(max_length=MAX_FEE_KEY, required=False, label="Add-on")
    start = ClockField()
    end = ClockField()


ParticipantForm.base_fields = {column.name: column.form_field for column in PARTICIPANT_COLUMNS}
GroupForm.base_fields = {column.name: column.form_field for column in GROUP_COLUMNS}
for _row_form in (
    ParticipantForm,
    GroupForm,
    IntervalForm,
    ConferenceForm,
    AddOnForm,
    FeeCountForm,
    CardAddOnForm,
    CardFeeForm,
):
    _row_form.base_fields = SharedFields(_row_form.base_fields)


def _formset(form: type[forms.Form], limit: int) -> type[forms.BaseFormSet]:  # type: ignore[type-arg]
    return forms.formset_factory(
        form, extra=0, max_num=limit, absolute_max=limit, validate_max=True
    )


ParticipantFormSet = _formset(ParticipantForm, MAX_PARTICIPANTS)
GroupFormSet = _formset(GroupForm, MAX_GROUPS)
ConferenceFormSet = _formset(ConferenceForm, MAX_INTERVALS)
IntervalFormSet = _formset(IntervalForm, MAX_INTERVALS)
AddOnFormSet = _formset(AddOnForm, MAX_INTERVALS)
FeeCountFormSet = _formset(FeeCountForm, MAX_FEES)
CardAddOnFormSet = _formset(CardAddOnForm, MAX_ADDONS)
CardFeeFormSet = _formset(CardFeeForm, MAX_FEES)


class BulkAddForm(forms.Form):
    """ "40 attendees join between 0:00 and 5:00 and leave between 50:00 and 60:00": a group."""

    # The labels name each part of the sentence in its error messages.
    count = WholeNumberField(min_value=1, max_value=MAX_MEMBERS, initial=10, label="Number to add")
    name = TextField(max_length=100, initial="Attendees", label="Name")
    join_from = ClockField(initial="0:00", label="First join")
    join_to = ClockField(initial="5:00", label="Last join")
    leave_from = ClockField(initial="50:00", label="First leave")
    leave_to = ClockField(initial="60:00", label="Last leave")
    endpoint = forms.ChoiceField(choices=ENDPOINT_CHOICES, initial="client", label="Endpoint")
    media = forms.ChoiceField(choices=MEDIA_CHOICES, initial="video", label="Media")  # type: ignore[assignment]  # (see MEDIA_FIELD)
    publish = forms.BooleanField(required=False, label="publish from when they join")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        a, b = data.get("join_from"), data.get("join_to")
        c, d = data.get("leave_from"), data.get("leave_to")
        if a is not None and b is not None and b < a:
            self.add_error("join_to", "must not be before the first join")
        if c is not None and d is not None and d < c:
            self.add_error("leave_to", "must not be before the first leave")
        if None not in (a, b, c, d) and (c < a or d < b):  # type: ignore[operator]
            self.add_error("leave_from", "everyone must leave after they join")
        return data

    def fits(self, headcount: int, groups: int, rows: int) -> bool:
        """Valid, and the group fits beside the `headcount` connected already (and the
        `groups` there are, and the editor's `rows` in all); else the message says why
        (never silently fewer than asked)."""
        if not self.is_valid():
            return False
        if groups >= MAX_GROUPS or rows >= EDITOR_ROWS:
            why = (
                f"a scenario holds at most {MAX_GROUPS:,} groups"
                if groups >= MAX_GROUPS
                else f"the editor shows at most {EDITOR_ROWS:,} rows"
            )
            self.add_error("count", f"no more groups fit: {why}.")
            return False
        room = MAX_MEMBERS - headcount
        if self.cleaned_data["count"] > room:
            more = f"at most {room:,} more fit" if room > 0 else "no more fit"
            self.add_error(
                "count",
                f"{more}: a scenario holds at most {MAX_MEMBERS:,} participants in all and "
                f"has {headcount:,}.",
            )
            return False
        return True

    def group_row(self) -> dict[str, str]:
        """The group as the editor's row: the members spread evenly over the ranges."""
        data = self.cleaned_data
        return {
            **NEW_GROUP,
            "name": data["name"] or "Attendees",
            "count": str(data["count"]),
            "join_from": clock(data["join_from"]),
            "join_to": clock(data["join_to"]),
            "leave_from": clock(data["leave_from"]),
            "leave_to": clock(data["leave_to"]),
            "endpoint": data["endpoint"],
            "media": data["media"],
            "publish": "on" if data["publish"] else "",
        }


NEW_GROUP = {column.name: column.new for column in GROUP_COLUMNS}


# -- The editor's state as plain rows of strings, so that actions keep what was typed -------

# Rows (participants, conferences, recordings and monitoring together) that the editor shows as
# inputs. More is priced and shown read-only: a page of 5,000 rows is 14 MB of HTML and about a
# second of the server's CPU to read back and write again (make bench, "worst case at the
# limits"); 10,000 participants stay the documents' limit (API, import, price command).
EDITOR_ROWS = 5_000


def row_count(sections: Mapping[str, list[Any]]) -> int:
    return sum(len(rows) for rows in sections.values())


SECTIONS = {
    "p": ("participants", ParticipantFormSet, list(ParticipantForm.base_fields)),
    "g": ("groups", GroupFormSet, list(GroupForm.base_fields)),
    "c": ("conferences", ConferenceFormSet, list(ConferenceForm.base_fields)),
    "r": ("recordings", IntervalFormSet, list(IntervalForm.base_fields)),
    "m": ("monitoring", IntervalFormSet, list(IntervalForm.base_fields)),
    "a": ("addons", AddOnFormSet, list(AddOnForm.base_fields)),
    "f": ("fees", FeeCountFormSet, list(FeeCountForm.base_fields)),
    # The inline card's own add-ons and fees (Deal terms).
    "x": ("card_addons", CardAddOnFormSet, list(CardAddOnForm.base_fields)),
    "y": ("card_fees", CardFeeFormSet, list(CardFeeForm.base_fields)),
}
PREFIX_OF = {name: prefix for prefix, (name, _, _) in SECTIONS.items()}
# How the page calls each section, in the list of what stops a price.
SECTION_TITLES = {
    "p": "Participants",
    "g": "Groups",
    "c": "Conferences",
    "r": "Recordings",
    "m": "Monitoring",
    "a": "Add-ons",
    "f": "Fees",
    "x": "The deal's add-ons",
    "y": "The deal's fees",
}
SCENARIO_FIELDS = [
    "name",
    "model",
    "sessions_per_month",
    "rate_card",
    "currency",
    "tiers",
    "monthly_minimum",
    "rounding",
    "revision",
    "increment_seconds",
    "minimum_seconds",
    *[f"rate_{meter}" for meter in Meter],
    *[f"mode_{meter}" for meter in Meter],
]
# "restore" re-renders the editor from posted fields and changes nothing: how the page brings
# back a draft kept in the browser.
# "write-out:g:N" writes group N's members out as participant rows.
ACTION = re.compile(
    r"^(add|duplicate|remove|write-out):([pgcrmafxy])(?::([0-9]+))?$|^(bulk|save|save-copy|restore)$"
)


# ASCII digits only: \d also matches other scripts' digits, which int() reads.
ROW_KEY = re.compile(r"^([pgcrmafxy])-([0-9]+)-")


def sections_of(data: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Each section's rows as typed. Only rows present in the data count, whatever TOTAL_FORMS
    claims, so a forged count cannot make the server build thousands of empty rows."""
    present: dict[str, int] = dict.fromkeys(SECTIONS, -1)
    for key in data:
        if match := ROW_KEY.match(key):
            prefix, index = match.group(1), int(match.group(2))
            if index > present[prefix]:
                present[prefix] = index
    sections = {}
    for prefix, (_, _, fields) in SECTIONS.items():
        try:
            declared = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
        except (TypeError, ValueError):
            declared = 0
        limit = {"p": MAX_PARTICIPANTS, "g": MAX_GROUPS}.get(prefix, MAX_INTERVALS)
        total = max(0, min(declared, limit, present[prefix] + 1))
        sections[prefix] = [
            {name: str(data.get(f"{prefix}-{i}-{name}", "")) for name in fields}
            for i in range(total)
        ]
    return sections


def scenario_of(data: Mapping[str, Any]) -> dict[str, str]:
    """The scenario's own fields as typed."""
    return {key: str(data.get(key, "")) for key in SCENARIO_FIELDS}


def data_from(
    scenario: Mapping[str, str], sections: Mapping[str, Sequence[Mapping[str, str]]]
) -> dict[str, str]:
    """Form data for the editor: the scenario's fields and each section's rows."""
    data = {key: scenario.get(key, "") for key in SCENARIO_FIELDS}
    for prefix, rows in sections.items():
        # Every row counts as initial: a row left blank is an error to show, not a row to skip.
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        for i, row in enumerate(rows):
            for name, value in row.items():
                if name == "subscribes" and not value:
                    continue  # an unticked checkbox sends nothing
                data[f"{prefix}-{i}-{name}"] = value
    return data


def _seconds_text(value: Any) -> str:
    return "" if value is None or value == "" else clock(Decimal(str(value)))


def document_data(
    document: Mapping[str, Any], default_card: str, revision: int | None = None
) -> dict[str, str]:
    """Form data for a scenario document (a template, an import)."""
    return data_from(*document_state(document, default_card, revision))


def document_state(
    document: Mapping[str, Any], default_card: str, revision: int | None = None
) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """A scenario document as the editor's typed state: its fields and each section's rows."""
    card = document.get("rate_card")
    scenario = {
        "name": document.get("name", ""),
        "model": document.get("model", Model.SIP_MEDIASERVER.value),
        "sessions_per_month": str(document.get("sessions_per_month", 1)),
        "rate_card": card if isinstance(card, str) else default_card,
        "revision": "" if revision is None else str(revision),
    }
    if isinstance(card, Mapping):
        scenario["rate_card"] = card.get("base") or default_card
        for key in ("increment_seconds", "minimum_seconds", "currency"):
            if card.get(key) is not None:
                scenario[key] = str(card[key])
        if card.get("tiers"):
            scenario["tiers"] = dumps(card["tiers"])
        for meter, mode in (card.get("tier_modes") or {}).items():
            scenario[f"mode_{meter}"] = str(mode)
        if card.get("monthly_minimum") is not None:
            scenario["monthly_minimum"] = str(card["monthly_minimum"])
        if card.get("rounding") is not None:
            scenario["rounding"] = str(card["rounding"])
        for meter, rate in (card.get("rates") or {}).items():
            scenario[f"rate_{meter}"] = str(rate)
    participants = [
        {c.name: c.text(p.get(c.name, c.absent)) for c in PARTICIPANT_COLUMNS}
        for p in document.get("participants", [])
    ]
    sections = {"p": participants, "g": [group_state(g) for g in document.get("groups", [])]}
    for prefix in "crma":
        name = SECTIONS[prefix][0]
        sections[prefix] = [
            {
                **({"meter": str(item.get("meter") or "")} if prefix == "a" else {}),
                "start": _seconds_text(item.get("start")),
                "end": _seconds_text(item.get("end")),
                **({"media": item.get("media", "voice")} if prefix == "c" else {}),
            }
            for item in document.get(name, [])
        ]
    fees = document.get("fees")
    sections["f"] = [
        {"fee": str(key), "count": str(count)}
        for key, count in (fees.items() if isinstance(fees, Mapping) else ())
    ]
    inline = card if isinstance(card, Mapping) else {}
    addons, card_fees = inline.get("addons"), inline.get("fees")
    sections["x"] = [
        {"key": str(key), "label": str(a.get("label") or ""), "rate": str(a.get("rate") or "")}
        for key, a in (addons.items() if isinstance(addons, Mapping) else ())
        if isinstance(a, Mapping)
    ]
    sections["y"] = [
        {
            "key": str(key),
            "label": str(f.get("label") or ""),
            "per": str(f.get("per") or ""),
            "price": str(f.get("price") or ""),
        }
        for key, f in (card_fees.items() if isinstance(card_fees, Mapping) else ())
        if isinstance(f, Mapping)
    ]
    return scenario_of(scenario), sections


def group_state(group: Mapping[str, Any]) -> dict[str, str]:
    """A group of a document as the editor's typed row (its ranges' halves in columns)."""
    row = {}
    for column in GROUP_COLUMNS:
        name = column.name
        if name in ("join_from", "join_to", "leave_from", "leave_to"):
            key, half = name.split("_")
            pair = group.get(key)
            value = pair[0 if half == "from" else 1] if isinstance(pair, list | tuple) else None
            row[name] = column.text(value if value is not None else "")
        elif name == "count":
            row[name] = "" if group.get("count") is None else str(group["count"])
        else:
            row[name] = column.text(group.get(name, column.absent))
    return row


def act(
    sections: dict[str, list[dict[str, str]]],
    action: str,
    bulk: BulkAddForm | None,
    notices: list[str] | None = None,
) -> str | None:
    """Add, duplicate or remove a row, bulk-add participants as a group, or write a group's
    members out as rows, in place, keeping every typed value. With no action the rows stay as
    they are; an action that cannot be done says why in `notices`.

    Returns the id of what a keyboard user goes on from: the first field of the row added
    (the first of those added in bulk), or after a removal of the row that took its place, or
    the section's Add button when none is left."""
    match = ACTION.match(action)
    if match and action == "bulk":
        groups = sections["g"]
        if bulk is not None and bulk.fits(
            typed_headcount(sections), len(groups), row_count(sections)
        ):
            groups.append(bulk.group_row())
            return _first_field("g", len(groups) - 1)
    elif match and match.group(1) == "write-out" and match.group(2) == "g":
        group_index = int(match.group(3) or -1)
        if 0 <= group_index < len(sections["g"]):
            return write_out(sections, group_index, notices)
    elif match and match.group(2):
        verb, prefix, index_text = match.group(1, 2, 3)
        rows = sections[prefix]
        index = int(index_text) if index_text is not None else None
        if verb in ("add", "duplicate") and row_count(sections) >= EDITOR_ROWS:
            return None  # full: the page says so beside the counts
        if verb == "add":
            rows.append(_new_row(prefix, rows))
            return _first_field(prefix, len(rows) - 1)
        if index is not None and 0 <= index < len(rows):
            if verb == "remove":
                del rows[index]
                return _first_field(prefix, min(index, len(rows) - 1)) if rows else ADD[prefix]
            if verb == "duplicate":
                copy = dict(rows[index])
                if "name" in copy:
                    copy["name"] = f"{copy['name'] or 'Participant'} (copy)"
                rows.insert(index + 1, copy)
                return _first_field(prefix, index + 1)
    return None


def typed_headcount(sections: Mapping[str, list[dict[str, str]]]) -> int:
    """Participants and groups' members as typed (a count not yet a number, or past any a
    group may have, counts none: its row shows why)."""
    counts = (row.get("count", "").strip().replace(",", "") for row in sections["g"])
    return len(sections["p"]) + sum(
        int(c) for c in counts if c.isascii() and c.isdigit() and len(c) <= len(str(MAX_MEMBERS))
    )


def write_out(
    sections: dict[str, list[dict[str, str]]], index: int, notices: list[str] | None
) -> str | None:
    """Group `index`'s members as participant rows after the others, the group gone: each
    member can then be edited on its own. Only a group whose row is valid, and whose members
    fit in the editor."""
    row = sections["g"][index]
    errors: FieldErrors = {}
    cleaned = clean_fields(GroupForm.base_fields, row, "", errors)
    said = notices if notices is not None else []
    if errors:
        said.append(f"Group {index + 1} could not be written out as rows: fix its fields first.")
        return None
    count = cleaned["count"]
    room = min(MAX_PARTICIPANTS - len(sections["p"]), EDITOR_ROWS - row_count(sections) + 1)
    if count > room:
        said.append(
            f"Group {index + 1} has {count:,} members; at most {max(room, 0):,} more rows fit "
            f"(the editor shows at most {EDITOR_ROWS:,} rows, a scenario at most "
            f"{MAX_PARTICIPANTS:,} participants written out). It is kept as a group."
        )
        return None
    group = group_of(cleaned, index)
    first = len(sections["p"])
    sections["p"].extend(
        {c.name: c.text(getattr(p, c.name)) for c in PARTICIPANT_COLUMNS} for p in members(group)
    )
    del sections["g"][index]
    return _first_field("p", first)


def group_of(cleaned: Mapping[str, Any], index: int) -> Group:
    """A group from its row's cleaned values (a row left unnamed is "Group n", as the
    engine names it)."""
    return Group(
        name=cleaned["name"] or f"Group {index + 1}",
        count=cleaned["count"],
        join=(cleaned["join_from"], cleaned["join_to"]),
        leave=(cleaned["leave_from"], cleaned["leave_to"]),
        media="video" if cleaned["media"] == "video" else "voice",
        endpoint=cleaned["endpoint"],
        direction=cleaned["direction"],
        publishes=bool(cleaned["publish"]),
        streams=cleaned["streams"],
        subscribes=cleaned["subscribes"],
    )


# The Add button of each section, by its rows' prefix.
ADD = {
    "p": "add-participant",
    "g": "add-g",
    "c": "add-c",
    "r": "add-r",
    "m": "add-m",
    "a": "add-a",
    "f": "add-f",
    "x": "add-x",
    "y": "add-y",
}


def _first_field(prefix: str, index: int) -> str:
    first = {"p": "name", "g": "name", "a": "meter", "f": "fee", "x": "key", "y": "key"}
    return f"id_{prefix}-{index}-{first.get(prefix, 'start')}"


def _new_row(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    last = rows[-1] if rows else {}
    if prefix == "p":
        media = last.get("media") or "voice"
        return {
            **NEW_PARTICIPANT,
            "name": f"Participant {len(rows) + 1}",
            "endpoint": last.get("endpoint") or NEW_PARTICIPANT["endpoint"],
            "media": media,
            "leave": last.get("leave") or NEW_PARTICIPANT["leave"],
            # Someone on video sends their camera or microphone: a new video participant
            # publishes from joining (the rules page says so). Bulk-added attendees watch.
            "publish": "0:00" if media == "video" else "",
        }
    if prefix == "g":
        return {**NEW_GROUP, "name": "Attendees" if not rows else f"Group {len(rows) + 1}"}
    if prefix == "f":
        return {"fee": "", "count": "1"}
    if prefix == "x":
        return {"key": "", "label": "", "rate": ""}
    if prefix == "y":
        return {"key": "", "label": "", "per": PER_MONTH, "price": ""}
    row = {"start": "0:00", "end": last.get("end") or "5:00"}
    if prefix == "c":
        row["media"] = "voice"
    if prefix == "a":
        row = {"meter": last.get("meter", ""), **row}
    return row


# -- The bound editor ------------------------------------------------------------------------

PATH = re.compile(
    r"^(participants|groups|conferences|recordings|monitoring|addons)\[(\d+)\](?:\.(\w+))?(?:\[([01])\])?$"
)
# A group's problems by its document's key (and pair half) to the input at fault.
GROUP_INPUTS = {
    ("join", None): "join_to",  # a range that runs backwards: its end is what to change
    ("join", "0"): "join_from",
    ("join", "1"): "join_to",
    ("leave", None): "leave_to",
    ("leave", "0"): "leave_from",
    ("leave", "1"): "leave_to",
}


# Fields holding parts of a document (parsed to mutable values), kept through the editor.
DOCUMENT_FIELDS = ("rate_card", "tiers")

# An unbound form's fields, to clean with; the rate card's choices differ from request to
# request, so that field is made for each.
_SCENARIO_FIELDS = ScenarioForm().fields

# Fields whose cleaning is a pure function of the text, to an immutable value: every field of
# the rows and of the scenario but the card's choices and the tiers (parsed to a mutable dict).
remember_cleaning(
    *(f for name, f in _SCENARIO_FIELDS.items() if name not in DOCUMENT_FIELDS),
    *(f for _, formset, _ in SECTIONS.values() for f in formset.form.base_fields.values()),
)


@dataclass
class Editor:
    """The scenario's fields and its four row sections as typed, cleaned by the forms' fields.

    Cleaning runs field by field without building the forms: a live update needs only the
    values and the messages, and bound forms (a BoundField for each of some 200 inputs) were
    most of its time. A page that shows the inputs builds the forms (`form`, `sections`) from
    the same data; the engine's problems are put beside their fields there too.
    """

    scenario: dict[str, str]
    rows: dict[str, list[dict[str, str]]]
    cards: list[tuple[str, str]]
    cleaned: dict[str, Any] = field(default_factory=dict)
    cleaned_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: FieldErrors = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Values allowed but unlikely (billing/engine/plausibility.py): a brief note by each
    # input's name, and the full messages for the summary.
    warnings: FieldErrors = field(default_factory=dict)
    doubts: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def bind(
        cls,
        scenario: dict[str, str],
        rows: dict[str, list[dict[str, str]]],
        cards: Iterable[tuple[str, str]],
    ) -> Editor:
        editor = cls(scenario, rows, list(cards))
        rate_card = forms.ChoiceField(choices=editor.cards, label="Rate card")
        fields = {
            name: rate_card if name == "rate_card" else f for name, f in _SCENARIO_FIELDS.items()
        }
        editor.cleaned = clean_fields(fields, scenario, "", editor.errors)
        for prefix, typed_rows in rows.items():
            row_fields = SECTIONS[prefix][1].form.base_fields
            editor.cleaned_rows[prefix] = [
                clean_fields(row_fields, row, f"{prefix}-{i}-", editor.errors)
                for i, row in enumerate(typed_rows)
            ]
        return editor

    def check_keyed_rows(self) -> None:
        """A fee counted in two rows, or two of the deal's add-ons or fees with one key: the
        document has one entry per key, so the later row is refused beside its key. A deal's
        add-on or fee with a key needs its rate or price."""
        for prefix, amount, said in (
            ("x", "rate", "give the add-on its rate a minute"),
            ("y", "price", "give the fee its price"),
        ):
            for i, row in enumerate(self.cleaned_rows.get(prefix, [])):
                html_name = f"{prefix}-{i}-{amount}"
                if row.get("key") and row.get(amount) is None and html_name not in self.errors:
                    self.errors[html_name] = [said]
        for prefix, name, said in (
            ("f", "fee", "counted in another row already: give each fee one row"),
            ("x", "key", "another add-on has this key: give each add-on one row"),
            ("y", "key", "another fee has this key: give each fee one row"),
        ):
            seen: set[str] = set()
            for i, row in enumerate(self.cleaned_rows.get(prefix, [])):
                key = row.get(name)
                if key and key in seen:
                    self.errors.setdefault(f"{prefix}-{i}-{name}", []).append(said)
                if key is not None:
                    seen.add(key)

    def is_valid(self) -> bool:
        return not self.errors

    @cached_property
    def form(self) -> ScenarioForm:
        """The bound scenario form, for a page that shows it, the engine's problems beside
        their fields. (The rows are written from `rows` and `errors`: calculator/rows.py.)"""
        form = ScenarioForm(data_from(self.scenario, {}), cards=self.cards)
        form.full_clean()
        for problem in self.problems:
            target = self._target(problem.path)
            if target is not None and target[0] is None:
                form.add_error(target[2], problem.message)
        return form

    def document(self, default_card: str) -> dict[str, Any]:
        """The scenario document of the cleaned values; call after is_valid()."""
        data, rows = self.cleaned, self.cleaned_rows
        rates = {
            str(meter): str(data[f"rate_{meter}"])
            for meter in Meter
            if data.get(f"rate_{meter}") is not None
        }
        overrides: dict[str, Any] = {}
        if rates:
            overrides["rates"] = rates
        for key in ("increment_seconds", "minimum_seconds"):
            if data.get(key) is not None:
                overrides[key] = data[key]
        if data.get("currency"):
            overrides["currency"] = data["currency"]
        if data.get("tiers"):
            overrides["tiers"] = data["tiers"]
        modes = {str(m): data[f"mode_{m}"] for m in Meter if data.get(f"mode_{m}")}
        if modes:
            overrides["tier_modes"] = modes
        if data.get("monthly_minimum") is not None:
            overrides["monthly_minimum"] = str(data["monthly_minimum"])
        if data.get("rounding"):
            overrides["rounding"] = data["rounding"]
        # The deal's own add-ons and fees (new ones, or the card's at other prices).
        # (A row whose key is not typed yet is no add-on or fee: the prices stay on screen.)
        if any(r["key"] for r in rows["x"]):
            overrides["addons"] = {
                r["key"]: {"label": r["label"] or r["key"], "rate": str(r["rate"])}
                for r in rows["x"]
                if r["key"]
            }
        if any(r["key"] for r in rows["y"]):
            overrides["fees"] = {
                r["key"]: {
                    "label": r["label"] or r["key"],
                    "per": r["per"],
                    "price": str(r["price"]),
                }
                for r in rows["y"]
                if r["key"]
            }
        card: Any = data["rate_card"]
        if overrides:
            card = {"base": data["rate_card"], **overrides}
        return {
            "name": data["name"],
            "model": data["model"],
            "sessions_per_month": data["sessions_per_month"],
            "participants": [
                {**row, "name": row["name"] or f"Participant {i + 1}"}
                for i, row in enumerate(rows["p"])
            ],
            **(
                {"groups": [group_document(group_of(row, i)) for i, row in enumerate(rows["g"])]}
                if rows["g"]
                else {}
            ),
            "conferences": [
                {"start": r["start"], "end": r["end"], "media": r["media"]} for r in rows["c"]
            ],
            "recordings": [{"start": r["start"], "end": r["end"]} for r in rows["r"]],
            "monitoring": [{"start": r["start"], "end": r["end"]} for r in rows["m"]],
            **(
                {
                    "addons": [
                        {"meter": r["meter"], "start": r["start"], "end": r["end"]}
                        for r in rows["a"]
                        if r["meter"]
                    ]
                }
                if any(r["meter"] for r in rows["a"])
                else {}
            ),
            "rate_card": card,
            **(
                {"fees": {r["fee"]: r["count"] for r in rows["f"] if r["fee"]}}
                if any(r["fee"] for r in rows["f"])
                else {}
            ),
        }

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """Put the engine's problems beside the fields they name."""
        for problem in problems:
            target = self._target(problem.path)
            if target is None:
                self.general_errors.append(str(problem))
                continue
            prefix, row, name = target
            html_name = name if prefix is None else f"{prefix}-{row}-{name}"
            self.errors.setdefault(html_name, []).append(problem.message)
            self.problems.append(problem)

    def add_warnings(self, doubts: Iterable[Doubt]) -> None:
        """Put warnings beside the fields they name (the scenario is priced as it is)."""
        full: FieldErrors = {}
        for doubt in doubts:
            target = self._target(doubt.path)
            if target is not None:
                prefix, row, name = target
                html_name = name if prefix is None else f"{prefix}-{row}-{name}"
                self.warnings.setdefault(html_name, []).append(doubt.brief or doubt.message)
                full.setdefault(html_name, []).append(doubt.message)
        self.doubts = _summary(full)

    def warning_summary(self) -> list[tuple[str, str]]:
        """(label, message) pairs, as `all_errors` gives errors."""
        return self.doubts

    def _target(self, path: str) -> tuple[str | None, int, str] | None:
        """(section prefix or None for the scenario's fields, row, field) a path names."""
        match = PATH.match(path)
        if match:
            name, index, field_name, half = match.groups()
            prefix, row = PREFIX_OF[name], int(index)
            if prefix == "a":  # the document leaves out add-on rows not chosen yet
                chosen = [
                    i for i, typed in enumerate(self.rows["a"]) if typed.get("meter", "").strip()
                ]
                row = chosen[row] if row < len(chosen) else len(self.rows["a"])
            if prefix == "g" and field_name is not None:
                field_name = GROUP_INPUTS.get((field_name, half), field_name)
            if row < len(self.rows[prefix]) and field_name in self.rows[prefix][row]:
                return prefix, row, field_name
        if path.startswith("fees."):  # a count of a fee the card does not have: its row
            key = path.removeprefix("fees.")
            for row, typed in enumerate(self.rows["f"]):
                if typed.get("fee", "").strip() == key:
                    return "f", row, "fee"
        for prefix, head in (("x", "rate_card.addons."), ("y", "rate_card.fees.")):
            if path.startswith(head):  # the deal's own add-on or fee: its row, its field
                key, _, name = path.removeprefix(head).partition(".")
                for row, typed in enumerate(self.rows[prefix]):
                    if typed.get("key", "").strip() == key:
                        return prefix, row, name if name in typed else "key"
        target = _scenario_field(path)
        return None if target is None else (None, 0, target)

    def field_errors(self) -> FieldErrors:
        """Every field's errors by its HTML name, for the live page to place."""
        return self.errors

    def all_errors(self) -> list[tuple[str, str]]:
        """(label, message) pairs for a summary at the top of the results."""
        return [("", message) for message in self.general_errors] + _summary(self.errors)


def _summary(messages_by_name: FieldErrors) -> list[tuple[str, str]]:
    """(label, message) pairs of fields' messages: the scenario's fields, then the rows'."""
    summary: list[tuple[str, str]] = []
    rows: list[tuple[str, str]] = []
    for html_name, messages in messages_by_name.items():
        if match := ROW_KEY.match(html_name):
            prefix, name = match.group(1), html_name[match.end() :]
            heading = HEADINGS[prefix].get(name, name.replace("_", " "))
            label = f"{SECTION_TITLES[prefix]} row {int(match.group(2)) + 1}, {heading}"
            rows.extend((label, message) for message in messages)
        else:
            label = str(_SCENARIO_FIELDS[html_name].label)
            summary.extend((label, message) for message in messages)
    return summary + rows


def _scenario_field(path: str) -> str | None:
    if path in ("name", "model", "sessions_per_month"):
        return path
    if path == "rate_card.currency":
        return "currency"
    if path in ("rate_card", "rate_card.base"):
        return "rate_card"
    if path in (
        "rate_card.increment_seconds",
        "rate_card.minimum_seconds",
        "rate_card.monthly_minimum",
        "rate_card.rounding",
    ):
        return path.split(".")[1]
    if path.startswith("rate_card.tier_modes."):
        return f"mode_{path.rsplit('.', 1)[1]}"
    if path.startswith("rate_card.rates."):
        return f"rate_{path.rsplit('.', 1)[1]}"
    return None
