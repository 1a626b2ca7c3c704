"""The usage page: a month of call records uploaded, priced under every model, kept as a
usage report (aggregates only) shared by link.

The upload is streamed to disk (Django spools a multipart file past 2.5 MB; the ASGI server
passes the body on as it arrives: calculator/server/serving.py). The page's script sends it
with a progress bar for the upload and asks for the pricing's progress as it goes: the
answer is then a stream of JSON lines (`{"stage": "reading", "done": 0.4}` ... and at the
end `{"url": ...}`, or the problems). Without the script the form posts as any form does
and the answer is the report, or the page again with the problems.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billing.cards import CardDirectory
from billing.engine import Model, RateCard, ScenarioError, card_snapshot, parse_scenario
from billing.engine.batch import UsageBill, bill_usage
from billing.engine.inputs import shown, text_problem
from billing.engine.reader import MAX_NAME_LENGTH
from billing.engine.report import usage_report
from billing.engine.usagefile import (
    COLUMNS,
    REQUIRED,
    ColumnsMissing,
    UsageRecords,
    read_usage,
)
from billing.service import load_json, usage_terms
from calculator import charts
from calculator.editor.workspace import ScenarioWorkspace
from calculator.models import UsageReport
from calculator.saved.access import browser_hash, can_edit, delete_shared, owned, shared
from calculator.saved.forms import RenameForm
from calculator.saved.saving import too_many_saves
from calculator.server.middleware import charge_cpu
from calculator.server.ratelimit import client_address, describe, retry_after
from calculator.uploads import TooLarge, too_large_message

log = logging.getLogger(__name__)

PROGRESS = "application/x-ndjson"
MODEL_CHOICES = [("", "The cheapest"), *((str(m), m.label) for m in Model)]


def options_of(data: Any) -> dict[str, Any]:
    """The page's choices (from a form or the address): model, card, skip_bad, and each
    column's name in the file where the header names it otherwise (`column_<ours>`)."""
    columns = {
        ours: str(data.get(f"column_{ours}", "")).strip()[:MAX_NAME_LENGTH]
        for ours in COLUMNS
        if str(data.get(f"column_{ours}", "")).strip()
    }
    return {
        "model": str(data.get("model", "")).strip(),
        "rate_card": str(data.get("rate_card", "")).strip(),
        "skip_bad": str(data.get("skip_bad", "")).lower() in ("1", "true", "on", "yes"),
        "columns": columns,
    }


def page_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    cards = CardDirectory()
    options = options_of(request.POST if request.method == "POST" else request.GET)
    return {
        "cards": cards.choices(),
        "default_card": cards.default_slug,
        "models": MODEL_CHOICES,
        "options": options,
        "limit_mb": f"{settings.USAGE_MAX_BYTES / 1_000_000:g}",
        "reports": list(mine(request)[:20]),
        **extra,
    }


def mine(request: HttpRequest) -> Any:
    user_id = request.user.pk if request.user.is_authenticated else None
    return UsageReport.objects.owned_by(user_id, browser_hash(request)).defer(
        "report", "sessions_csv", "card"
    )


@require_http_methods(["GET", "POST"])
def usage_page(request: HttpRequest) -> HttpResponseBase:
    if request.method == "GET":
        return TemplateResponse(request, "usage.html", page_context(request))
    wants_progress = PROGRESS in request.headers.get("Accept", "")
    wait = retry_after(request, "save")
    if wait is not None:
        message = f"Too many uploads: {describe('save')}. Try again in {wait} seconds."
        return refused(request, wants_progress, [message], status=429)
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > settings.USAGE_MAX_BYTES + 64_000:
        return refused(request, wants_progress, [too_large_message()], status=413)
    try:
        upload = request.FILES.get("file")
    except RequestDataTooBig:
        return refused(request, wants_progress, ["the form's fields are over 2 MB"], status=400)
    if upload is None:
        return refused(request, wants_progress, ["choose a usage file (CSV) to upload"])
    if upload.size is not None and upload.size > settings.USAGE_MAX_BYTES:
        return refused(request, wants_progress, [too_large_message()], status=413)
    options = options_of(request.POST)
    try:
        card, model = chosen(options)
    except ScenarioError as error:
        return refused(request, wants_progress, messages_of(error))
    name = clean_name(upload.name or "")
    owner = owner_of(request)
    # Django keeps an upload of up to FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) in memory and a
    # larger one in a temporary file: either is read where it is.
    source: Path | bytes = (
        Path(upload.temporary_file_path())
        if hasattr(upload, "temporary_file_path")
        else upload.read()
    )

    def work(progress: Callable[[str, float], None]) -> UsageReport:
        return price_and_keep(source, name, card, model, options, owner, progress)

    if wants_progress:
        served_by_asgi = isinstance(request, ASGIRequest)
        charge = cpu_charge(request)
        response = StreamingHttpResponse(
            streamed(work, served_by_asgi, charge, options["columns"]), content_type=PROGRESS
        )
        response["Cache-Control"] = "no-store"
        return response
    try:
        report = work(lambda stage, done: None)
        report.save()
    except ColumnsMissing as missing:
        return TemplateResponse(
            request,
            "usage.html",
            page_context(
                request, problems=[MAPPING_PROBLEM], mapping=mapping(missing, options["columns"])
            ),
            status=400,
        )
    except (ScenarioError, TooLarge) as error:
        return refused(request, False, messages_of(error))
    return redirect(report_url(report))


def clean_name(name: str) -> str:
    name = Path(name).name.strip()
    if text_problem(name) is not None:
        name = shown(name, MAX_NAME_LENGTH)
    return name[:MAX_NAME_LENGTH]


def messages_of(error: Exception) -> list[str]:
    if isinstance(error, ScenarioError):
        return [str(p) for p in error.problems]
    return [str(error)]


# What exports of other systems call our columns (compared lower-case, spaces and dashes as
# underscores): offered in the mapping step as first choices, never used unseen.
LIKELY_NAMES = {
    "session": (
        "call_id callid call call_sid session_id sessionid conference_id conference "
        "conference_sid meeting_id meeting room room_id room_sid"
    ),
    "kind": "type record_type",
    "name": (
        "participant participant_name participant_id user user_name username caller identity "
        "display_name"
    ),
    "start": (
        "join joined joined_at join_time start_time started_at starttime begin begin_time "
        "connect_time connected_at answer_time"
    ),
    "end": (
        "leave left left_at leave_time end_time ended_at endtime disconnect_time "
        "disconnected_at hangup_time stop stop_time stopped_at finish finished_at"
    ),
    "media": "media_type mediatype",
    "endpoint": "endpoint_type device device_type client client_type",
    "direction": "call_direction",
    "publish": "published_at publish_time publish_start",
    "streams": "stream_count",
    "subscribes": "subscribed is_subscriber",
}


def _plain_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


# The mapping step offers at most so many of a file's columns, and previews fewer: a header
# of thousands is not a page of thousands of choices.
MAX_OFFERED = 300
MAX_PREVIEWED = 30


def mapping(missing: ColumnsMissing, said: Mapping[str, str]) -> dict[str, Any]:
    """The mapping step: the file's columns (those named once, even regardless of case: the
    reader cannot tell twins apart) and first rows, and for each of ours the column first
    chosen: the one said before (kept in the address) if the file has it, else one named as
    ours or as other systems name it; each of the file's columns for one of ours at most."""
    columns = list(missing.columns)
    times = Counter(name.strip().lower() for name in columns)
    offered = [name for name in columns if times[name.strip().lower()] == 1][:MAX_OFFERED]
    chosen: dict[str, str] = {}
    for ours, theirs in said.items():
        if theirs in offered and theirs not in chosen.values():
            chosen[ours] = theirs
    by_plain = {_plain_name(name): name for name in reversed(offered)}
    for ours in COLUMNS:
        if ours in chosen:
            continue
        for candidate in (ours, *LIKELY_NAMES.get(ours, "").split()):
            likely = by_plain.get(candidate)
            if likely is not None and likely not in chosen.values():
                chosen[ours] = likely
                break
    shown = columns[:MAX_PREVIEWED]
    return {
        "columns": offered,
        "left_out": len(columns) - len(offered),
        "preview": shown,
        "preview_left_out": len(columns) - len(shown),
        "rows": [[cell[:40] for cell in row[:MAX_PREVIEWED]] for row in missing.rows[:5]],
        "fields": [
            {"name": ours, "required": ours in REQUIRED, "chosen": chosen.get(ours, "")}
            for ours in COLUMNS
        ],
        "chosen": chosen,
        "guessed": all(ours in chosen for ours in REQUIRED),
    }


def mapping_message(missing: ColumnsMissing, said: Mapping[str, str]) -> dict[str, Any]:
    """The progress stream's last line when the header does not name the columns: the
    problem, and the mapping step drawn by the same template as the page's."""
    found = mapping(missing, said)
    html = render_to_string("_usage_mapping.html", {"mapping": found})
    return {"problems": [MAPPING_PROBLEM], "mapping": {**found, "html": html}}


MAPPING_PROBLEM = (
    "the file's header does not name the columns session, start and end: say below which "
    "of its columns is which, then price it"
)


def refused(
    request: HttpRequest, wants_progress: bool, problems: list[str], status: int = 400
) -> HttpResponse:
    if wants_progress:
        return HttpResponse(
            json.dumps({"problems": problems}) + "\n", content_type=PROGRESS, status=status
        )
    return TemplateResponse(
        request, "usage.html", page_context(request, problems=problems), status=status
    )


def chosen(options: dict[str, Any]) -> tuple[RateCard, Model | None]:
    """The card and model the page's choices name (read here, in the request's thread: the
    pricing's own thread never touches the database). ScenarioError if either is wrong."""
    return usage_terms(options["model"], options["rate_card"])


def price_and_keep(
    source: Path | bytes,
    name: str,
    card: RateCard,
    model: Model | None,
    options: dict[str, Any],
    owner: tuple[Any, str],
    progress: Callable[[str, float], None],
) -> UsageReport:
    """The file priced (read, then every model) and its report made, not yet saved;
    ScenarioError if the file is wrong."""
    records = read_usage(
        source,
        addons=card.addons,
        columns=options["columns"],
        skip_bad=options["skip_bad"],
        progress=lambda done: progress("reading", done),
    )
    bill = bill_usage(
        records.sessions,
        records.records,
        card,
        model,
        progress=lambda done: progress("pricing", done),
    )
    progress("keeping", 0.0)
    return kept_report(bill, records, name, card, options, owner)


def kept_report(
    bill: UsageBill,
    records: UsageRecords,
    name: str,
    card: RateCard,
    options: dict[str, Any],
    owner: tuple[Any, str],
) -> UsageReport:
    """The report to keep (not saved yet: the request's own thread saves it)."""
    data, per_session = usage_report(bill, records)
    report = UsageReport(
        name=name,
        options=options,
        model=str(bill.model),
        card=card_snapshot(card),
        report=data,
        sessions_csv=gzip.compress(per_session, compresslevel=1),
    )
    return owned_by(report, owner)


def owner_of(request: HttpRequest) -> tuple[Any, str]:
    """Who a new report is for, read in the request's thread: the account signed in (else
    None), and this browser's owner hash (made on first use)."""
    user = request.user if request.user.is_authenticated else None
    return user, browser_hash(request, create=True)


def owned_by(report: UsageReport, owner: tuple[Any, str]) -> UsageReport:
    """The report given to the account, or without one to the browser (`owner_of`)."""
    user, browser = owner
    if user is not None:
        report.owner = user
    else:
        report.browser_key_hash = browser
    return report


def cpu_charge(request: HttpRequest) -> Callable[[int], None]:
    """What charges this address's CPU budget (CpuBudgetMiddleware) with work done in a
    thread of its own, which the middleware's clock of the request's thread never sees."""
    address = client_address(request)
    return lambda milliseconds: charge_cpu(address, milliseconds)


def streamed(
    work: Callable[[Callable[[str, float], None]], UsageReport],
    asynchronous: bool,
    charge: Callable[[int], None] = lambda milliseconds: None,
    columns_said: Mapping[str, str] | None = None,
) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The work done in a thread of its own, its progress sent as JSON lines as it goes; the
    report it makes saved by the request's own thread (and database connection). Served by
    ASGI (make serve) the lines go out as an async iterator: Django would read a sync one
    whole before sending any of it."""
    said: queue.Queue[dict[str, Any]] = queue.Queue()

    def progress(stage: str, done: float) -> None:
        said.put({"stage": stage, "done": round(done, 3)})

    def run() -> None:
        start = time.thread_time()
        try:
            said.put({"report": work(progress)})
        except ColumnsMissing as missing:
            said.put(mapping_message(missing, columns_said or {}))
        except (ScenarioError, TooLarge) as error:
            said.put({"problems": messages_of(error)})
        except Exception:
            log.exception("pricing a usage file failed")
            said.put({"problems": ["the file could not be priced: an internal error"]})
        finally:
            charge(math.ceil((time.thread_time() - start) * 1000))
            said.put({})

    def line(message: dict[str, Any]) -> bytes:
        return json.dumps(message).encode() + b"\n"

    def saved(message: dict[str, Any]) -> dict[str, Any]:
        if "report" not in message:
            return message
        report = message["report"]
        report.save()
        return {"url": report_url(report)}

    threading.Thread(target=run, daemon=True).start()
    first = line({"stage": "received", "done": 1})

    def lines() -> Iterator[bytes]:
        yield first
        while message := said.get():
            yield line(saved(message))

    async def async_lines() -> AsyncIterator[bytes]:
        yield first
        while message := await asyncio.to_thread(said.get):
            yield line(await sync_to_async(saved)(message))

    return async_lines() if asynchronous else lines()


def report_url(report: UsageReport) -> str:
    return reverse("usage-report", args=[report.share_key])


@require_safe
def report_page(request: HttpRequest, share_key: str) -> HttpResponse:
    report = shared(share_key, UsageReport)
    data = report.report
    result = data["result"]
    again = {
        **{f"column_{ours}": theirs for ours, theirs in report.options.get("columns", {}).items()},
        **{key: report.options[key] for key in ("model", "rate_card") if report.options.get(key)},
    }
    context = {
        "again": urlencode(again),
        "compared": [m for m in result["models"] if not m.get("note")],
        "noted": [m for m in result["models"] if m.get("note")],
        "report": report,
        "result": result,
        "data": data,
        "figures": charts.usage_figures(data),
        "owner": can_edit(request, report),
        "share_url": request.build_absolute_uri(report_url(report)),
    }
    return TemplateResponse(request, "usage_report.html", context)


@require_safe
def report_csv(request: HttpRequest, share_key: str) -> HttpResponse:
    report = shared(share_key, UsageReport)
    response = HttpResponse(gzip.decompress(bytes(report.sessions_csv)), content_type="text/csv")
    filename = f"usage-{report.share_key[:8]}-cost-per-session.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def open_session(request: HttpRequest, share_key: str, number: int) -> HttpResponse:
    """One of the report's most expensive sessions in the editor, as the scenario its
    records make (not saved until saved)."""
    report = shared(share_key, UsageReport)
    top = report.report.get("top", [])
    stored = top[number].get("document") if 0 <= number < len(top) else None
    try:
        document = load_json(stored) if stored is not None else None
        parsed = parse_scenario(document) if document is not None else None
    except ScenarioError:  # stored by a rule since changed: it no longer opens
        document = parsed = None
    if document is None or parsed is None:
        context = {"report": report, "no_session": True}
        return TemplateResponse(request, "missing.html", context, status=404)
    workspace = ScenarioWorkspace.from_request(request, initial=document, parsed=parsed)
    return TemplateResponse(request, "editor.html", workspace.context())


@require_http_methods(["GET", "POST"])
def delete_report(request: HttpRequest, share_key: str) -> HttpResponse:
    """Asks first (GET), then deletes (POST); only the report's owner may. Its link then
    answers "deleted" (410), as a deleted scenario's does."""
    report = owned(request, share_key, UsageReport)
    if request.method == "GET":
        return TemplateResponse(request, "usage_delete.html", {"report": report})
    delete_shared(report)
    messages.success(request, f"Deleted the usage report {report.title}.")
    return redirect("usage")


@require_http_methods(["GET", "POST"])
def rename_report(request: HttpRequest, share_key: str) -> HttpResponse:
    """A new name (the file's, at first); only the report's owner may."""
    report = owned(request, share_key, UsageReport)
    form = RenameForm(request.POST or None, initial={"name": report.name})
    if request.method == "POST" and form.is_valid():
        UsageReport.objects.filter(pk=report.pk).update(name=form.cleaned_data["name"])
        messages.success(request, "Renamed.")
        return redirect("usage-report", share_key)
    context = {"title": report.title, "form": form, "back": report_url(report)}
    return TemplateResponse(request, "rename.html", context)


@require_POST
def copy_report(request: HttpRequest, share_key: str) -> HttpResponse:
    """Anyone who can see a report may copy it: the copy is theirs (listed under My
    scenarios, renamed and deleted by them), the original untouched."""
    original = shared(share_key, UsageReport)
    if limited := too_many_saves(request):
        return limited
    copy = UsageReport(
        name=f"{original.title} (copy)"[:MAX_NAME_LENGTH],
        model=original.model,
        options=original.options,
        card=original.card,
        report=original.report,
        sessions_csv=original.sessions_csv,
    )
    owned_by(copy, owner_of(request)).save()
    # Priced when the original was: the page says when its prices were worked out.
    UsageReport.objects.filter(pk=copy.pk).update(created_at=original.created_at)
    messages.success(request, "This is your copy of the report; the original is unchanged.")
    return redirect("usage-report", copy.share_key)
