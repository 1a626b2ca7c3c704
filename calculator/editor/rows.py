"""The editor's rows written straight to HTML, from the values as typed and the messages the
editor already has: a speed shortcut, kept here whole.

Why: a scenario at the documented limits has 10,000 participants and 3,000 conferences,
recordings and monitoring sessions, some 100,000 inputs. Built as bound Django forms (13,000
`full_clean`s) and written by templates (270,000 nodes), its editor page took 7.8 s of CPU
(`make bench`, "worst case at the limits"); written here it is a small part of a second.
What a row looks like is still one place: this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape  # the standard library's: Django's is lazy-aware, and slower

from django.utils.safestring import SafeString, mark_safe

from billing.engine.ratecard import RateCardOverride
from billing.engine.scenario import MAX_FEE_COUNT, Scenario
from billing.engine.timefmt import clock
from calculator.editor.columns import (
    BY_NAME,
    GROUP_COLUMNS,
    HEADINGS,
    PARTICIPANT_COLUMNS,
    Column,
    written_options,
)

Row = Mapping[str, str]
Errors = Mapping[str, list[str]]

# A conference's media select: the participants' media column's options.
OPTIONS = {
    "media": BY_NAME["media"].options,
    "per": written_options({"month": "a month", "session": "a session"}),
}
DECIMAL_INPUT = ' inputmode="decimal" autocomplete="off"'


class _Writer:
    """One section's rows: names, ids, labels and messages as the editor's inputs have them."""

    def __init__(
        self, prefix: str, errors: Errors, focus: str | None, warnings: Errors | None = None
    ) -> None:
        self.prefix = prefix
        self.errors = errors
        self.warnings = warnings or {}
        self.focus = focus

    def _common(self, i: int, name: str, col: str | None) -> tuple[str, str, str]:
        """An input's name and id; its label, focus and error attributes; its message (if
        any) to follow it."""
        html_name = f"{self.prefix}-{i}-{name}"
        names = f'name="{html_name}" id="id_{html_name}"'
        rest = "" if col is None else f' aria-labelledby="{col} {self.prefix}-{i}-head"'
        if f"id_{html_name}" == self.focus:
            rest += " autofocus"
        messages = self.errors.get(html_name)
        if messages:
            rest += f' aria-invalid="true" aria-describedby="err-{html_name}"'
            text = escape(" ".join(messages))
            return names, rest, f'<span class="field-error" id="err-{html_name}">{text}</span>'
        warnings = self.warnings.get(html_name)
        if warnings:
            rest += f' aria-describedby="warn-{html_name}"'
            text = escape(" ".join(warnings))
            return names, rest, f'<span class="field-warning" id="warn-{html_name}">{text}</span>'
        return names, rest, ""

    def cell(self, i: int, row: Row, column: Column) -> str:
        """A column's cell of row `i`, with its focus and message."""
        _, rest, message = self._common(i, column.name, None)  # (the column writes its label)
        p = f"{self.prefix}-{i}-"
        return column.cell(p, f"{p}head", row.get(column.name, ""), rest, message)

    def text(self, i: int, row: Row, name: str, col: str, size: int, extra: str = "") -> str:
        names, rest, message = self._common(i, name, col)
        value = escape(row.get(name, ""))
        return f'<input type="text" {names} value="{value}" size="{size}"{extra}{rest}>{message}'

    def time(self, i: int, row: Row, name: str, col: str) -> str:
        return self.text(
            i, row, name, col, 7, ' placeholder="m:ss" autocomplete="off" class="time"'
        )

    def number(self, i: int, row: Row, name: str, col: str, low: int, high: int) -> str:
        names, rest, message = self._common(i, name, col)
        value = escape(row.get(name, ""))
        return (
            f'<input type="number" {names} value="{value}" size="2" min="{low}" max="{high}"'
            f"{rest}>{message}"
        )

    def select(self, i: int, row: Row, name: str, col: str) -> str:
        names, rest, message = self._common(i, name, col)
        options = OPTIONS[name]
        chosen = options.get(row.get(name, ""), options[""])
        return f"<select {names}{rest}>{chosen}</select>{message}"

    def checkbox(self, i: int, row: Row, name: str, col: str) -> str:
        names, rest, message = self._common(i, name, col)
        value = row.get(name, "")
        # As Django's checkbox reads a posted value: anything but nothing or "false" is ticked.
        checked = " checked" if value and value.lower() != "false" else ""
        return f'<input type="checkbox" {names}{rest}{checked}>{message}'

    def management(self, count: int) -> str:
        p = self.prefix
        return (
            f'<input type="hidden" name="{p}-TOTAL_FORMS" value="{count}" id="id_{p}-TOTAL_FORMS">'
            f'<input type="hidden" name="{p}-INITIAL_FORMS" value="{count}" id="id_{p}-INITIAL_FORMS">'
        )


def _button(action: str, label: str, text: str, danger: bool, url: str) -> str:
    """A row's button; where htmx sends its answer is set once, on the rows' container."""
    kind = "icon danger" if danger else "icon"
    return (
        f'<button type="submit" name="action" value="{action}" class="{kind}" title="{label}" '
        f'hx-post="{escape(url)}">'
        f'<span aria-hidden="true">{text}</span><span class="visually-hidden">{label}</span></button>'
    )


def participant_rows(
    rows: Sequence[Row], errors: Errors, focus: str | None, url: str, warnings: Errors
) -> SafeString:
    """The participants' table rows. A row with no message and no focus (nearly all of a large
    scenario's) is written in one piece; the others field by field."""
    return _table_rows("p", PARTICIPANT_COLUMNS, rows, errors, focus, url, warnings)


def group_rows(
    rows: Sequence[Row], errors: Errors, focus: str | None, url: str, warnings: Errors
) -> SafeString:
    """The groups' table rows, each with a button that writes its members out as rows."""
    return _table_rows("g", GROUP_COLUMNS, rows, errors, focus, url, warnings)


def _table_rows(
    prefix: str,
    columns: Sequence[Column],
    rows: Sequence[Row],
    errors: Errors,
    focus: str | None,
    url: str,
    warnings: Errors,
) -> SafeString:
    w = _Writer(prefix, errors, focus, warnings)
    marked = _rows_named(prefix, [*errors, *warnings, (focus or "")[3:]])
    noun = "group" if prefix == "g" else "row"
    out = []
    for i, row in enumerate(rows):
        n = i + 1
        write_out = (
            _button(f"write-out:g:{i}", f"Write group {n} out as rows", "Rows", False, url)
            if prefix == "g"
            else ""
        )
        buttons = (
            f'<td class="row-actions">'
            f"{_button(f'duplicate:{prefix}:{i}', f'Duplicate {noun} {n}', 'Copy', False, url)}"
            f"{write_out}"
            f"{_button(f'remove:{prefix}:{i}', f'Remove {noun} {n}', '✕', True, url)}</td></tr>"
        )
        p, head = f"{prefix}-{i}-", f"{prefix}-{i}-head"
        start = f'<tr id="row-{prefix}-{i}"><th scope="row" id="{head}">{n}</th>'
        if i not in marked:
            # A row with no message and no focus: each cell in one piece.
            get = row.get
            cells = "".join(c.cell(p, head, get(c.name, "")) for c in columns)
        else:
            cells = "".join(w.cell(i, row, c) for c in columns)
        out.append(start + cells + buttons)
    return mark_safe("".join(out))


def _rows_named(prefix: str, names: Sequence[str]) -> set[int]:
    """The rows of a section that input names (`p-3-leave`) point into."""
    rows = set()
    for name in names:
        head, _, rest = name.partition("-")
        index = rest.partition("-")[0]
        if head == prefix and index.isdigit():
            rows.add(int(index))
    return rows


def management(prefix: str, count: int) -> SafeString:
    """A section's row count, so that a post without JavaScript reads every row."""
    return mark_safe(_Writer(prefix, {}, None).management(count))


def interval_rows(
    prefix: str,
    rows: Sequence[Row],
    errors: Errors,
    focus: str | None,
    url: str,
    noun: str,
    media: bool,
    warnings: Errors,
) -> SafeString:
    """A section of conferences, recordings, monitoring or add-ons: its counts, then its table
    rows (an add-on's first column names the card's add-on it bills)."""
    w = _Writer(prefix, errors, focus, warnings)
    out = [w.management(len(rows))]
    addon = prefix == "a"
    if addon:
        noun = "add-on interval"
    if rows:
        head = HEADINGS[prefix]
        media_head = (
            f'<th scope="col" id="{prefix}-col-media">{head["media"]}</th>' if media else ""
        )
        meter_head = (
            f'<th scope="col" id="{prefix}-col-meter">{head["meter"]}</th>' if addon else ""
        )
        out.append(
            f'<table class="rows{" keyed" if addon else ""}"><thead><tr><th scope="col">#</th>'
            f"{meter_head}"
            f'<th scope="col" id="{prefix}-col-start">{head["start"]}</th>'
            f'<th scope="col" id="{prefix}-col-end">{head["end"]}</th>{media_head}'
            '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>'
        )
        for i, row in enumerate(rows):
            media_cell = (
                f"<td>{w.select(i, row, 'media', f'{prefix}-col-media')}</td>" if media else ""
            )
            listed = ' list="addon-meters"'
            meter_cell = (
                f"<td>{w.text(i, row, 'meter', f'{prefix}-col-meter', 24, listed)}</td>"
                if addon
                else ""
            )
            out.append(
                f'<tr><th scope="row" id="{prefix}-{i}-head">{i + 1}</th>{meter_cell}'
                f"<td>{w.time(i, row, 'start', f'{prefix}-col-start')}</td>"
                f"<td>{w.time(i, row, 'end', f'{prefix}-col-end')}</td>{media_cell}"
                f'<td class="row-actions">'
                f"{_button(f'remove:{prefix}:{i}', f'Remove {noun} {i + 1}', '✕', True, url)}</td></tr>"
            )
        out.append("</tbody></table>")
    return mark_safe("".join(out))


def fee_rows(
    rows: Sequence[Row], errors: Errors, focus: str | None, url: str, warnings: Errors
) -> SafeString:
    """The scenario's counts of the card's fees: a fee (its key, the card's offered) and how
    many, a row each."""
    w = _Writer("f", errors, focus, warnings)
    out = [w.management(len(rows))]
    if rows:
        out.append(
            '<table class="rows keyed"><thead><tr><th scope="col">#</th>'
            f'<th scope="col" id="f-col-fee">{HEADINGS["f"]["fee"]}</th>'
            f'<th scope="col" id="f-col-count">{HEADINGS["f"]["count"]}</th>'
            '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>'
        )
        listed = ' list="card-fees"'
        for i, row in enumerate(rows):
            out.append(
                f'<tr><th scope="row" id="f-{i}-head">{i + 1}</th>'
                f"<td>{w.text(i, row, 'fee', 'f-col-fee', 24, listed)}</td>"
                f"<td>{w.number(i, row, 'count', 'f-col-count', 0, MAX_FEE_COUNT)}</td>"
                f'<td class="row-actions">'
                f"{_button(f'remove:f:{i}', f'Remove fee {i + 1}', '✕', True, url)}</td></tr>"
            )
        out.append("</tbody></table>")
    return mark_safe("".join(out))


def deal_rows(
    prefix: str, rows: Sequence[Row], errors: Errors, focus: str | None, url: str
) -> SafeString:
    """The deal's own add-ons (`x`: key, name, rate a minute) or fees (`y`: key, name, per,
    price), a row each: new ones, or the card's at other prices."""
    w = _Writer(prefix, errors, focus)
    out = [w.management(len(rows))]
    fee = prefix == "y"
    noun = "fee" if fee else "add-on"
    if rows:
        head = HEADINGS[prefix]
        last = head["price" if fee else "rate"]
        per_head = f'<th scope="col" id="{prefix}-col-per">{head["per"]}</th>' if fee else ""
        out.append(
            '<table class="rows keyed"><thead><tr><th scope="col">#</th>'
            f'<th scope="col" id="{prefix}-col-key">{head["key"]}</th>'
            f'<th scope="col" id="{prefix}-col-label">{head["label"]}</th>{per_head}'
            f'<th scope="col" id="{prefix}-col-price">{last}</th>'
            '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>'
        )
        amount = "price" if fee else "rate"
        for i, row in enumerate(rows):
            per = f"<td>{w.select(i, row, 'per', f'{prefix}-col-per')}</td>" if fee else ""
            out.append(
                f'<tr><th scope="row" id="{prefix}-{i}-head">{i + 1}</th>'
                f"<td>{w.text(i, row, 'key', f'{prefix}-col-key', 18)}</td>"
                f"<td>{w.text(i, row, 'label', f'{prefix}-col-label', 24)}</td>{per}"
                f"<td>{w.text(i, row, amount, f'{prefix}-col-price', 8, DECIMAL_INPUT)}</td>"
                f'<td class="row-actions">'
                f"{_button(f'remove:{prefix}:{i}', f'Remove {noun} {i + 1}', '✕', True, url)}"
                "</td></tr>"
            )
        out.append("</tbody></table>")
    return mark_safe("".join(out))


def summary_terms(scenario: Scenario) -> SafeString:
    """The scenario's fee counts and the deal's own terms (an inline card's), as list items:
    what the breakdown prices, said of the scenario."""
    out = [f"<li>Fee <code>{escape(key)}</code> × {count:,}</li>" for key, count in scenario.fees]
    card = scenario.rate_card
    if isinstance(card, RateCardOverride):
        if card.rounding is not None:
            out.append(f"<li>What is rounded: {escape(ROUNDING_WORDS[card.rounding])}</li>")
        if card.monthly_minimum is not None:
            out.append(f"<li>Monthly minimum commitment: {card.monthly_minimum:,f}</li>")
        for mode_meter, mode in sorted(card.tier_modes.items()):
            out.append(f"<li>Tiers of <code>{escape(mode_meter)}</code>: {escape(mode)}</li>")
        for key, meter in sorted(card.addons.items()):
            price = card.prices.get(meter)
            rate = f" at {price.rate:f} a minute" if price is not None else ""
            out.append(
                f"<li>The deal's add-on <code>{escape(key)}</code> "
                f"({escape(meter.label)}){rate}</li>"
            )
        for key, fee in sorted(card.fees.items()):
            out.append(
                f"<li>The deal's fee <code>{escape(key)}</code> ({escape(fee.label)}): "
                f"{fee.price:f} a {escape(fee.per)}</li>"
            )
    return mark_safe("".join(out))


# What each `rounding` means, in the words of the editor's choice.
ROUNDING_WORDS = {
    "interval": "each call, recording or subscription on its own",
    "session": "a session's total, once per meter",
    "month": "the month's total, once per meter",
}


def hidden_fields(scenario: Mapping[str, str], sections: Mapping[str, Sequence[Row]]) -> SafeString:
    """Every typed value as hidden inputs: a page that carries the scenario along (compare)."""
    from calculator.editor.scenario import data_from

    return mark_safe(
        "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in data_from(scenario, sections).items()
            if value != ""
        )
    )


# -- A saved scenario read-only (share and print pages) --------------------------------------


def summary_rows(scenario: Scenario) -> SafeString:
    """The participants of a priced scenario as read-only table rows, a cell a column."""
    out = []
    for n, p in enumerate(scenario.participants, start=1):
        cells = "".join(
            f'<td data-label="{c.heading}">{escape(c.shown(getattr(p, c.name)))}</td>'
            for c in PARTICIPANT_COLUMNS[1:]
        )
        out.append(
            f'<tr><td class="detail">{n}</td><th scope="row">{escape(p.name)}</th>{cells}</tr>'
        )
    return mark_safe("".join(out))


def summary_groups(scenario: Scenario) -> SafeString:
    """The groups of a priced scenario as read-only table rows."""
    out = []
    for n, g in enumerate(scenario.groups, start=1):
        cells = [
            f"{g.count:,}",
            f"{clock(g.join[0])}–{clock(g.join[1])}",
            f"{clock(g.leave[0])}–{clock(g.leave[1])}",
            BY_NAME["endpoint"].shown(g.endpoint),
            BY_NAME["media"].shown(g.media),
            BY_NAME["direction"].shown(g.direction),
            "from joining" if g.publishes else "never",
            str(g.streams),
            "yes" if g.subscribes else "no",
        ]
        headings = (
            "Count",
            "Join",
            "Leave",
            "Endpoint",
            "Media",
            "Direction",
            "Publishes",
            "Streams",
            "Subscribes",
        )
        written = "".join(
            f'<td data-label="{h}">{escape(c)}</td>' for h, c in zip(headings, cells, strict=True)
        )
        out.append(
            f'<tr><td class="detail">{n}</td><th scope="row">{escape(g.name)}</th>{written}</tr>'
        )
    return mark_safe("".join(out))


def summary_intervals(scenario: Scenario) -> SafeString:
    """Its conferences, recordings and monitoring as list items."""
    out = [
        f"<li>Conference {n} ({c.media}): {clock(c.start)}–{clock(c.end)}</li>"
        for n, c in enumerate(scenario.conferences, start=1)
    ]
    for label, intervals in (
        ("Recording", scenario.recordings),
        ("Monitoring", scenario.monitoring),
    ):
        out += [
            f"<li>{label} {n}: {clock(i.start)}–{clock(i.end)}</li>"
            for n, i in enumerate(intervals, start=1)
        ]
    out += [
        f"<li>Add-on {n} ({escape(a.meter)}): {clock(a.start)}–{clock(a.end)}</li>"
        for n, a in enumerate(scenario.addons, start=1)
    ]
    return mark_safe("".join(out))
