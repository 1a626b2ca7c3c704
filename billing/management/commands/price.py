"""`python manage.py price FILE...`: the command-line door to the same engine as the JSON API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.engine import (
    EstimateQuote,
    Quote,
    ScenarioError,
    estimate_document,
    is_estimate,
    quote_document,
)
from billing.service import load_json, price_document, price_estimate_document


class Command(BaseCommand):
    help = "Price scenario documents (JSON files, or - for standard input) and print the results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="scenario JSON, or -")
        parser.add_argument(
            "--text", action="store_true", help="print a table for people instead of JSON"
        )

    def handle(self, *args: Any, files: list[str], text: bool, **options: Any) -> None:
        results: list[tuple[str, Quote | EstimateQuote]] = []
        failed = 0
        for name in files:
            try:
                document = load_json(read(name))
                if is_estimate(document):
                    results.append((name, price_estimate_document(document)))
                else:
                    results.append((name, price_document(document)))
            except ScenarioError as error:
                failed += 1
                for problem in error.problems:
                    where = f"{problem.path}: " if problem.path else ""
                    self.stderr.write(f"{name}: {where}{problem.message}")
        if text:
            for name, quote in results:
                self.stdout.write(table(name, quote))
        elif len(files) == 1 and results:
            self.stdout.write(json.dumps(result_document(results[0][1]), indent=2))
        elif results:
            documents = [{"file": name, **result_document(quote)} for name, quote in results]
            self.stdout.write(json.dumps(documents, indent=2))
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} file(s) could not be priced", returncode=1
            )


def read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as error:
        raise ScenarioError.single("", f"cannot read the file: {error.strerror}") from None


def result_document(quote: Quote | EstimateQuote) -> dict[str, Any]:
    if isinstance(quote, EstimateQuote):
        return estimate_document(quote)
    return quote_document(quote)


def table(name: str, quote: Quote | EstimateQuote) -> str:
    if isinstance(quote, EstimateQuote):
        return estimate_table(name, quote)
    card = quote.card
    rows = [
        f"{quote.scenario.name or name} — {quote.scenario.model}, {card.currency}, "
        f"rate card {card.slug or 'inline'}"
        + (f" v{card.version}" if card.version else "")
        + (" with the deal's own terms" if card.overridden else ""),
    ]
    periods = (("Per session", quote.per_session), ("Per month", quote.monthly))
    w = label_width(
        [line.meter.label for _, p in periods for line in p.lines]
        + [e.label for _, p in periods for e in p.extras]
    )
    for title, period in periods:
        rows.append(f"  {title}")
        for line in period.lines:
            rows.append(
                f"    {line.meter.label:<{w}} {line.quantity:>16} min "
                f"x {line.rate:<10} {line.amount:>14}"
            )
        rows.extend(
            f"    {e.label:<{w}} {'':>16}     {'':<10} {e.amount:>14}  ({e.explanation})"
            for e in period.extras
        )
        rows.append(f"    {'Total':<{w}} {'':>16}     {'':<10} {period.total:>14}")
    rows.extend(f"  Note: {note}" for note in quote.notes)
    return "\n".join(rows) + "\n"


def label_width(labels: list[str]) -> int:
    """The label column's width: the longest label's, at least 26."""
    return max([26, *(len(label) for label in labels)])


def estimate_table(name: str, quote: EstimateQuote) -> str:
    card, month = quote.card, quote.month
    rows = [
        f"{quote.estimate.name or name} — estimate of {len(quote.items)} scenarios, {card.currency}"
    ]
    for p in quote.items:
        rows.append(
            f"  {p.item.scenario.name or 'scenario'}: {p.item.sessions_per_month:,} sessions/month"
        )
    w = label_width([d.line.meter.label for d in month.lines] + [e.label for e in month.extras])
    heading = f"Per month ({month.sessions:,} sessions)"
    rows.append(f"  {heading:<{w + 2}} {'list':>12} {'discount':>12} {'net':>12}")
    for d in month.lines:
        rows.append(
            f"    {d.line.meter.label:<{w}} {d.line.amount:>12} {d.discount:>12} {d.net:>12}"
        )
    # Fees are in the list total (never discounted); what a minimum adds is in the net alone.
    rows.extend(
        f"    {e.label:<{w}} {e.amount if e.kind == 'fee' else '':>12} {'':>12} {e.amount:>12}"
        for e in month.extras
    )
    rows.append(
        f"    {'Total':<{w}} {month.list_total:>12} {month.discount_total:>12} "
        f"{month.net_total:>12}"
    )
    if quote.estimate.growth.monthly_percent:
        rows.append(f"  Projection at {quote.estimate.growth.monthly_percent}% a month:")
        for m, running in zip(quote.projection, quote.cumulative(), strict=True):
            rows.append(f"    month {m.number:>2}: {m.net_total:>12}  cumulative {running:>14}")
    rows.extend(f"  Note: {note}" for note in quote.notes)
    return "\n".join(rows) + "\n"
