"""`python manage.py price-usage FILE [--model M] [--card SLUG]`: a usage file (CSV, or
gzipped CSV) priced as POST /api/usage prices it, the result as JSON (or a table)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.engine import ScenarioError
from billing.service import price_usage


class Command(BaseCommand):
    help = "Price a usage file of call records (CSV, optionally gzipped) under every model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the usage file (.csv or .csv.gz)")
        parser.add_argument("--model", help="the model of the bill (default: the cheapest)")
        parser.add_argument("--card", help="a stored rate card's slug (default: the default)")
        parser.add_argument(
            "--skip-bad",
            action="store_true",
            help="price the sessions without bad records, leaving out those that have some",
        )
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="OURS=THEIRS",
            help="the file's own name for one of the columns, e.g. --column session=CallID",
        )
        parser.add_argument("--text", action="store_true", help="print a table for people")

    def handle(
        self,
        *args: Any,
        file: str,
        model: str | None,
        card: str | None,
        skip_bad: bool,
        text: bool,
        column: list[str],
        **options: Any,
    ) -> None:
        columns = {}
        for given in column:
            ours, equals, theirs = given.partition("=")
            if not equals or not ours.strip() or not theirs.strip():
                raise CommandError(
                    f"--column {given}: write it as OURS=THEIRS, e.g. session=CallID"
                )
            columns[ours.strip().lower()] = theirs.strip()
        path = Path(file)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "no such file"
            raise CommandError(f"{file}: {what}", returncode=2)
        try:
            result = price_usage(
                path, model=model, rate_card=card, skip_bad=skip_bad, columns=columns
            )
        except ScenarioError as error:
            for problem in error.problems:
                where = f"{problem.path}: " if problem.path else ""
                self.stderr.write(f"{file}: {where}{problem.message}")
            raise CommandError(f"{file} could not be priced", returncode=1) from None
        if not text:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(table(file, result))


def table(name: str, result: dict[str, Any]) -> str:
    currency = result["currency"]
    lines = [
        f"{name}: {result['sessions']:,} sessions, {result['records']:,} records, "
        f"under {result['model']} ({currency})",
    ]
    for line in result["monthly"]["lines"]:
        lines.append(f"  {line['meter']:<28} {line['quantity']:>16} min {line['amount']:>14}")
    minimum = result["monthly"].get("minimum")
    if minimum:
        lines.append(f"  {'minimum commitment':<28} {'':>20} {minimum['amount']:>14}")
    lines.append(f"  {'total':<28} {'':>20} {result['monthly']['total']:>14}")
    lines.append("  every model, cheapest first:")
    for each in result["models"]:
        lines.append(f"    {each['model']:<24} {each['total']:>14}")
    rejected = result["rejected"]
    if rejected["count"]:
        lines.append(
            f"  left out: {rejected['sessions']:,} sessions ({rejected['count']:,} records) "
            "with bad records:"
        )
        lines += [f"    {p['path']}: {p['message']}" for p in rejected["first"]]
    return "\n".join(lines) + "\n"
