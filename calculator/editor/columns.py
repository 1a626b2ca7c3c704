"""A participant's attributes as the editor has them, declared once: each `Column` is the form
field that cleans what is typed, how the document's value becomes that text (and what it is
when the document leaves it out), what a new row holds, the table's heading, and the kind of
input that is written for it. The participant form, document <-> form state, new rows, the
editor's table, the read-only summary and the API's schema all read this list: a new
attribute is the engine's (billing/engine/scenario.py) and a Column here. A group's row has
columns of its own (GROUP_COLUMNS), the participant's where they are the same."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html import escape
from typing import Any, Literal

from django import forms

from billing.engine.reader import MAX_NAME_LENGTH
from billing.engine.scenario import (
    DIRECTIONS,
    ENDPOINT_LABELS,
    MAX_MEMBERS,
    MAX_SESSION_SECONDS,
    MAX_STREAMS,
    MEDIA,
)
from billing.engine.timefmt import clock
from billing.forms import TextField
from calculator.editor.fields import ClockField, WholeNumberField

Input = Literal["text", "time", "select", "number", "checkbox", "hidden"]


@dataclass(frozen=True)
class Column:
    # The document's key, the form field's name and the input's (a group's time ranges are
    # two columns each: join_from and join_to are its `join` pair's halves).
    name: str
    heading: str
    form_field: forms.Field
    input: Input
    # The document's value when it leaves the key out, and a new row's typed text.
    absent: Any
    new: str
    size: int = 7
    cell_class: str = ""
    choices: Mapping[str, str] = field(default_factory=dict)  # value -> label, for a select
    # Its table's headings' ids begin so (the participants' "col-name", the groups' "gcol-name").
    table: str = "col"

    @property
    def heading_id(self) -> str:
        return f"{self.table}-{self.name}"

    def text(self, value: Any) -> str:
        """The document's value as the editor shows it typed."""
        if self.input == "time":
            return "" if value is None or value == "" else clock(Decimal(str(value)))
        if self.input == "checkbox":
            return "on" if value else ""
        return str(value)

    def shown(self, value: Any) -> str:
        """The engine's value, read-only (the share and print pages)."""
        if self.input == "time":
            return "never" if value is None else clock(value)
        if self.input == "checkbox":
            return "yes" if value else "no"
        return self.choices.get(value, str(value)) if self.choices else str(value)

    def schema(self) -> dict[str, Any]:
        """The document's value in the API's OpenAPI schema."""
        if self.input == "time":
            seconds: dict[str, Any] = {
                "type": "number",
                "minimum": 0,
                "maximum": MAX_SESSION_SECONDS,
            }
            return seconds if self.form_field.required else {**seconds, "nullable": True}
        if self.input == "select":
            return {"type": "string", "enum": list(self.choices)}
        if self.input == "number":
            assert isinstance(self.form_field, forms.IntegerField)
            return {
                "type": "integer",
                "minimum": self.form_field.min_value,
                "maximum": self.form_field.max_value,
            }
        if self.input == "checkbox":
            return {"type": "boolean"}
        return {"type": "string", "maxLength": MAX_NAME_LENGTH}

    @property
    def options(self) -> dict[str, str]:
        """A select's options written once with each value chosen in turn, and with none
        chosen ("") for a value not among them, as Django's select shows it."""
        return _OPTIONS[self.name]

    def cell(self, p: str, head: str, value: str, rest: str = "", message: str = "") -> str:
        """The table cell of row prefix `p` ("p-3-"): its input, and any message after it."""
        names = f'name="{p}{self.name}" id="id_{p}{self.name}"'
        if self.input == "hidden":  # kept, not shown: no cell of its own
            return f'<input type="hidden" {names} value="{escape(value)}">'
        label = f' aria-labelledby="{self.heading_id} {head}"'
        if self.input == "select":
            chosen = self.options.get(value, self.options[""])
            tag = f"<select {names}{label}{rest}>{chosen}</select>"
        elif self.input == "checkbox":
            # As Django's checkbox reads a posted value: anything but nothing or "false".
            tick = " checked" if value and value.lower() != "false" else ""
            tag = f'<input type="checkbox" {names}{label}{rest}{tick}>'
        elif self.input == "number":
            assert isinstance(self.form_field, forms.IntegerField)
            low, high = self.form_field.min_value, self.form_field.max_value
            tag = (
                f'<input type="number" {names} value="{escape(value)}" size="{self.size}" '
                f'min="{low}" max="{high}"{label}{rest}>'
            )
        else:
            time = (
                ' placeholder="m:ss" autocomplete="off" class="time"'
                if self.input == "time"
                else ""
            )
            tag = (
                f'<input type="text" {names} value="{escape(value)}" size="{self.size}"{time}'
                f"{label}{rest}>"
            )
        css = f' class="{self.cell_class}"' if self.cell_class else ""
        return f'<td data-label="{self.heading}"{css}>{tag}{message}</td>'


def _labels(values: tuple[str, ...]) -> dict[str, str]:
    return {value: value.capitalize() for value in values}


def _select(
    name: str, heading: str, choices: Mapping[str, str], absent: str, new: str, cell_class: str = ""
) -> Column:
    """A drop-down column: its field's choices and its options are the one mapping."""
    return Column(
        name,
        heading,
        forms.ChoiceField(choices=list(choices.items())),
        "select",
        absent=absent,
        new=new,
        cell_class=cell_class,
        choices=choices,
    )


PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Name",
        TextField(max_length=MAX_NAME_LENGTH, required=False),
        "text",
        absent="",
        new="",
        size=12,
        cell_class="wide",
    ),
    _select("endpoint", "Endpoint", ENDPOINT_LABELS, "client", "webrtc", cell_class="double"),
    _select("media", "Media", _labels(MEDIA), "voice", "voice"),
    _select("direction", "Direction", _labels(DIRECTIONS), "originating", "originating", "double"),
    Column("join", "Join", ClockField(), "time", absent=None, new="0:00"),
    Column("leave", "Leave", ClockField(), "time", absent=None, new="5:00"),
    Column("publish", "Publish", ClockField(required=False), "time", absent=None, new=""),
    Column(
        "streams",
        "Streams",
        WholeNumberField(
            min_value=1, max_value=MAX_STREAMS, widget=forms.NumberInput(attrs={"size": 3})
        ),
        "number",
        absent=1,
        new="1",
        size=2,
    ),
    Column(
        "subscribes",
        "Subscribes",
        forms.BooleanField(required=False),
        "checkbox",
        absent=True,
        new="on",
        cell_class="center",
    ),
)


BY_PARTICIPANT = {c.name: c for c in PARTICIPANT_COLUMNS}


def _group_column(column: Column, **changes: Any) -> Column:
    return replace(column, table="gcol", **changes)


GROUP_COLUMNS: tuple[Column, ...] = (
    _group_column(BY_PARTICIPANT["name"], new="Attendees"),
    Column(
        "count",
        "Count",
        WholeNumberField(min_value=1, max_value=MAX_MEMBERS),
        "number",
        absent=None,
        new="100",
        size=7,
        cell_class="count",
        table="gcol",
    ),
    *(
        Column(name, heading, ClockField(), "time", absent=None, new=new, table="gcol")
        for name, heading, new in (
            ("join_from", "First join", "0:00"),
            ("join_to", "Last join", "5:00"),
            ("leave_from", "First leave", "50:00"),
            ("leave_to", "Last leave", "60:00"),
        )
    ),
    _group_column(BY_PARTICIPANT["endpoint"]),
    _group_column(BY_PARTICIPANT["media"], new="video"),
    # A group's direction is kept as the document gives it, not shown: it changes no price,
    # and the row is wide enough.
    replace(BY_PARTICIPANT["direction"], table="gcol", input="hidden"),
    Column(
        "publish",
        "Publishes",
        forms.BooleanField(required=False),
        "checkbox",
        absent=None,
        new="",
        cell_class="center",
        table="gcol",
    ),
    _group_column(BY_PARTICIPANT["streams"]),
    _group_column(BY_PARTICIPANT["subscribes"]),
)


def written_options(labels: Mapping[str, str]) -> dict[str, str]:
    """A select's options written once with each value chosen in turn, and none chosen ("")."""

    def written(chosen: str | None) -> str:
        return "".join(
            f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(label)}</option>'
            for v, label in labels.items()
        )

    return {**{value: written(value) for value in labels}, "": written(None)}


_OPTIONS = {c.name: written_options(c.choices) for c in PARTICIPANT_COLUMNS if c.choices}
BY_NAME = {c.name: c for c in PARTICIPANT_COLUMNS}
BY_GROUP_NAME = {c.name: c for c in GROUP_COLUMNS}


# The other sections' columns by field name: their tables' headings, and the names the
# summary of problems gives their fields.
_INTERVAL_HEADINGS = {"start": "Start", "end": "End", "media": "Media", "meter": "Add-on"}
_DEAL_HEADINGS = {"key": "Key", "label": "Name", "per": "Per"}
HEADINGS: dict[str, dict[str, str]] = {
    "p": {c.name: c.heading for c in PARTICIPANT_COLUMNS},
    "g": {c.name: c.heading for c in GROUP_COLUMNS},
    **dict.fromkeys("crma", _INTERVAL_HEADINGS),
    "f": {"fee": "Fee", "count": "How many"},
    "x": {**_DEAL_HEADINGS, "rate": "Rate a minute"},
    "y": {**_DEAL_HEADINGS, "price": "Price"},
}
