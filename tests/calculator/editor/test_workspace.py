"""The editors' workspaces (calculator/editor/workspace.py and estimate.py), built straight from
RequestFactory requests: what each reads from a GET or a POST, its actions, problems, revision
and card, the context it gives, and which template or partial it renders."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.template.loader import get_template
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from billing.engine import EstimateQuote, Meter, Quote, RateCardOverride, card_snapshot
from billing.engine import parse_scenario as engine_parse_scenario
from billing.engine.estimate import MAX_MONTHS
from billing.service import default_card
from calculator.editor import workspace as workspace_module
from calculator.editor.estimate import (
    EstimateForm,
    EstimateWorkspace,
    estimate_data,
)
from calculator.editor.presets import BLANK, BY_SLUG
from calculator.editor.scenario import BulkAddForm, document_data
from calculator.editor.workspace import ScenarioWorkspace, Workspace
from calculator.models import SavedScenario

pytestmark = pytest.mark.django_db
FACTORY = RequestFactory()


def request(
    method: str = "get", url: str = "/editor/", data: dict[str, Any] | None = None, **extra: Any
) -> HttpRequest:
    """A request as the middleware leaves it: a session, a user and htmx's details."""
    made = getattr(FACTORY, method)(url, data or {}, **extra)
    made.session = SessionStore()
    made.user = AnonymousUser()
    made.htmx = HtmxDetails(made)
    return made


def live(data: dict[str, Any], url: str = "/editor/") -> HttpRequest:
    """A POST from the page's script (htmx)."""
    return request("post", url, data, HTTP_HX_REQUEST="true")


def form(slug: str = "conference", **changes: str) -> dict[str, str]:
    """A template's editor fields as the page posts them back."""
    return {**document_data(BY_SLUG[slug].document, "default"), **changes}


def names(workspace: ScenarioWorkspace, prefix: str = "p") -> list[str]:
    return [row.get("name", "") for row in workspace.editor.rows[prefix]]


def saved_item(document: dict[str, Any], kind: str = SavedScenario.SCENARIO, **card: Any):
    """A saved item priced with the default card as it is now, changed by `card`."""
    item = SavedScenario(
        kind=kind, name=document.get("name", ""), card={**card_snapshot(default_card()), **card}
    )
    item.document = document
    item.save()
    return item


def pinned_card() -> dict[str, Any]:
    """The default card as a saved item keeps it, but from a time voice cost 0.0100 a minute
    and was not tiered (today: 0.0040, tiered)."""
    rates = {**card_snapshot(default_card())["rates"], "voice_call_minutes": "0.0100"}
    return {"rates": rates, "tiers": {}}


# -- One framework: every kind of editor is a Workspace --------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (ScenarioWorkspace, ("scenario", "editor.html", "editor", "results")),
        (EstimateWorkspace, ("estimate", "estimate.html", "estimate", "estimate-results")),
    ],
)
def test_each_kind_names_its_page_and_partials(kind, expected):
    assert issubclass(kind, Workspace)
    assert (kind.kind, kind.template, kind.whole, kind.results) == expected
    assert kind.kind in dict(SavedScenario._meta.get_field("kind").choices)


@pytest.mark.parametrize(
    ("kind", "url", "query"),
    [
        (ScenarioWorkspace, "/editor/", {"template": "conference"}),
        (EstimateWorkspace, "/estimates/new/", {"templates": "ivr-only"}),
    ],
)
@pytest.mark.parametrize("part", ["whole", "results"])
def test_each_partial_draws_the_element_of_its_name(kind, url, query, part):
    """A partial's name is the id of the element it draws, which the page's script swaps."""
    made = request("get", url, query)
    workspace = kind.from_request(made)
    name = getattr(kind, part)
    html = get_template(f"{kind.template}#{name}").render(workspace.context(), made)
    first = re.match(r"\s*<(\w+)[^>]*\bid=\"([^\"]+)\"", html)
    assert first is not None, html[:200]
    assert first.group(2) == name


def test_the_workspace_base_cannot_be_used_alone():
    with pytest.raises(TypeError):
        Workspace()  # type: ignore[abstract]


# -- ScenarioWorkspace: reading a request ----------------------------------------------------


def test_a_get_of_a_template_prices_it_with_nothing_unsaved():
    workspace = ScenarioWorkspace.from_request(request(data={"template": "conference"}))
    assert workspace.action == ""
    assert workspace.unsaved is False
    assert workspace.too_large is False
    assert workspace.bulk is None
    assert workspace.saved is None
    assert workspace.pinned is None
    assert names(workspace) == ["Host", "Guest (phone)", "Guest (SIP)"]
    assert workspace.problems() == []
    assert isinstance(workspace.quote, Quote)
    assert workspace.quote.per_session.total == Decimal("0.4600")
    assert workspace.document is not None
    assert workspace.document["name"] == "3-way conference"
    assert workspace.document["sessions_per_month"] == 500
    assert workspace.revision() is None
    assert workspace.rate_card_ref() == "default"


@pytest.mark.parametrize("query", [{}, {"template": "no-such-template"}, {"template": ""}])
def test_a_get_of_no_known_template_is_the_blank_scenario(query):
    workspace = ScenarioWorkspace.from_request(request(data=query))
    assert names(workspace) == [p["name"] for p in BLANK["participants"]]
    assert workspace.quote is not None
    assert workspace.quote.per_session.total == Decimal("0.0200")


def test_a_post_of_the_same_fields_prices_the_same_and_is_unsaved():
    shown = ScenarioWorkspace.from_request(request(data={"template": "conference"}))
    posted = ScenarioWorkspace.from_request(request("post", data=form()))
    assert posted.unsaved is True
    assert posted.action == ""
    assert posted.focus is None
    assert posted.document == shown.document
    assert posted.quote is not None
    assert shown.quote is not None
    assert posted.quote.per_session.total == shown.quote.per_session.total
    assert posted.quote.monthly.total == shown.quote.monthly.total


def test_a_post_reprices_what_was_typed():
    workspace = ScenarioWorkspace.from_request(request("post", data=form(**{"p-0-leave": "60:00"})))
    assert workspace.quote is not None
    host = workspace.quote.scenario.participants[0]
    assert host.leave == Decimal(3600)
    assert workspace.quote.per_session.total > Decimal("0.4600")


def test_adding_a_row_keeps_every_typed_value_and_focuses_the_new_row():
    data = form(**{"p-1-name": "Typed, not saved", "action": "add:p"})
    workspace = ScenarioWorkspace.from_request(request("post", data=data))
    assert workspace.action == "add:p"
    assert names(workspace) == ["Host", "Typed, not saved", "Guest (SIP)", "Participant 4"]
    assert workspace.focus == "id_p-3-name"
    assert workspace.quote is not None
    assert len(workspace.quote.scenario.participants) == 4


def test_removing_a_row_focuses_the_row_that_took_its_place():
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action="remove:p:0")))
    assert names(workspace) == ["Guest (phone)", "Guest (SIP)"]
    assert workspace.focus == "id_p-0-name"
    assert workspace.quote is not None
    assert len(workspace.quote.scenario.participants) == 2


def test_removing_the_last_row_of_a_section_focuses_its_add_button():
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action="remove:c:0")))
    assert workspace.editor.rows["c"] == []
    assert workspace.focus == "add-c"


def test_duplicating_a_row_inserts_its_copy_after_it():
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action="duplicate:p:1")))
    assert names(workspace) == ["Host", "Guest (phone)", "Guest (phone) (copy)", "Guest (SIP)"]
    copy = workspace.editor.rows["p"][2]
    assert {k: v for k, v in copy.items() if k != "name"} == {
        k: v for k, v in workspace.editor.rows["p"][1].items() if k != "name"
    }
    assert workspace.focus == "id_p-2-name"


def test_bulk_adding_participants():
    bulk = {
        "bulk-count": "5",
        "bulk-name": "Attendee",
        "bulk-join_from": "0:00",
        "bulk-join_to": "4:00",
        "bulk-leave_from": "20:00",
        "bulk-leave_to": "24:00",
        "bulk-endpoint": "client",
        "bulk-media": "voice",
    }
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action="bulk", **bulk)))
    assert isinstance(workspace.bulk, BulkAddForm)
    # One row: a group of five.
    assert len(workspace.editor.rows["p"]) == 3
    (group,) = workspace.editor.rows["g"]
    assert (group["name"], group["count"], group["join_from"], group["leave_to"]) == (
        "Attendee",
        "5",
        "0:00",
        "24:00",
    )
    assert workspace.focus == "id_g-0-name"
    assert workspace.document["groups"][0]["join"] == [0, 240]
    # Written out, its members are the rows bulk add always made.
    data = {**form(), **{f"g-0-{k}": v for k, v in group.items()}, "g-TOTAL_FORMS": "1"}
    written = ScenarioWorkspace.from_request(
        request("post", data={**data, "action": "write-out:g:0"})
    )
    assert names(written)[3:] == [f"Attendee {n}" for n in range(1, 6)]
    assert [row["join"] for row in written.editor.rows["p"][3:]] == [
        "0:00",
        "1:00",
        "2:00",
        "3:00",
        "4:00",
    ]
    assert written.editor.rows["g"] == []
    assert written.focus == "id_p-3-name"
    assert written.quote is not None
    assert written.quote.per_session.total == workspace.quote.per_session.total


@pytest.mark.parametrize("action", ["drop:p:0", "remove:z:0", "remove:p:-1", "add:p:", "SAVE"])
def test_an_action_not_known_is_no_action(action):
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action=action)))
    assert workspace.action == ""
    assert len(workspace.editor.rows["p"]) == 3
    assert workspace.quote is not None


def test_an_action_on_a_row_that_is_not_there_changes_nothing():
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action="remove:p:99")))
    assert workspace.action == "remove:p:99"
    assert len(workspace.editor.rows["p"]) == 3
    assert workspace.focus is None


def test_fields_that_do_not_clean_are_problems_and_nothing_is_priced():
    data = form(**{"p-0-join": "soon", "sessions_per_month": "-1", "currency": "usd"})
    workspace = ScenarioWorkspace.from_request(request("post", data=data))
    assert workspace.quote is None
    assert workspace.document is None
    assert workspace.problems() == [
        ("Sessions per month", "Enter a whole number from 0 to 1,000,000,000."),
        ("Currency", "Enter a three-letter code such as USD."),
        ("Participants row 1, Join", "Enter a time as m:ss or h:mm:ss, e.g. 7:30"),
    ]
    assert set(workspace.editor.field_errors()) == {"sessions_per_month", "currency", "p-0-join"}


def test_what_the_engine_refuses_is_a_problem_beside_its_field():
    data = form(**{"p-0-join": "50:00", "p-0-leave": "1:00"})
    workspace = ScenarioWorkspace.from_request(request("post", data=data))
    assert workspace.quote is None
    assert workspace.document is not None  # the fields cleaned; the engine refused them
    assert workspace.problems() == [
        ("Participants row 1, Leave", "must not be before join: leaves at 1:00, joins at 50:00")
    ]
    assert workspace.editor.field_errors() == {
        "p-0-leave": ["must not be before join: leaves at 1:00, joins at 50:00"]
    }


def test_an_unlikely_value_is_priced_with_a_warning_not_a_problem():
    workspace = ScenarioWorkspace.from_request(
        request("post", data=form(sessions_per_month="999999999"))
    )
    assert workspace.quote is not None
    assert workspace.problems() == []
    context = workspace.context()
    assert [label for label, _ in context["warnings"]] == ["Sessions per month"]
    assert "sessions_per_month" in context["field_warnings"]


def test_revision_is_the_one_the_form_was_opened_from():
    assert ScenarioWorkspace.from_request(request("post", data=form(revision="7"))).revision() == 7
    assert (
        ScenarioWorkspace.from_request(request("post", data=form(revision=""))).revision() is None
    )


def test_rate_card_ref_names_the_card_and_its_overrides():
    data = form(rate_voice_call_minutes="0.01", increment_seconds="6")
    workspace = ScenarioWorkspace.from_request(request("post", data=data))
    ref = workspace.rate_card_ref()
    assert isinstance(ref, RateCardOverride)
    assert ref.base == "default"
    assert ref.increment_seconds == 6
    assert ref.prices[Meter.VOICE_CALL].rate == Decimal("0.01")
    assert workspace.quote is not None
    assert workspace.quote.card.increment_seconds == 6


# -- ScenarioWorkspace: a saved scenario -----------------------------------------------------


def test_a_saved_scenario_opens_with_its_revision_and_pinned_card():
    """The card it was saved with prices it while the form names that card, whatever the
    stored card says now."""
    document = BY_SLUG["ivr-only"].document
    saved = saved_item(document, **pinned_card())
    saved.revision = 4
    saved.save()
    workspace = ScenarioWorkspace.from_request(request(), saved=saved)
    assert workspace.unsaved is False
    assert workspace.revision() == 4
    assert workspace.pinned is not None
    assert workspace.quote is not None
    assert workspace.quote.card.prices[Meter.VOICE_CALL].rate == Decimal("0.0100")
    today = ScenarioWorkspace.from_request(request(data={"template": "ivr-only"}))
    assert today.quote is not None
    assert today.quote.card.prices[Meter.VOICE_CALL].rate == Decimal("0.0040")


def test_a_post_to_a_saved_scenario_reads_the_post_not_the_stored_document():
    saved = saved_item(BY_SLUG["ivr-only"].document)
    workspace = ScenarioWorkspace.from_request(
        request("post", data=form(revision="1")), saved=saved
    )
    assert names(workspace) == ["Host", "Guest (phone)", "Guest (SIP)"]
    assert workspace.unsaved is True
    assert workspace.saved == saved


@pytest.mark.parametrize("method", ["post", "get"])
def test_an_imported_document_is_unsaved_work(method):
    """Given as `initial` (the import page posts it), it fills the editor, not the post."""
    workspace = ScenarioWorkspace.from_request(
        request(method, "/import/", {"name": "a post of other fields"}),
        initial=BY_SLUG["ivr-agent"].document,
    )
    assert workspace.unsaved is True
    assert workspace.action == ""
    assert workspace.quote is not None
    assert workspace.document is not None
    assert workspace.document["name"] == BY_SLUG["ivr-agent"].document["name"]


# -- ScenarioWorkspace: more rows than the editor shows --------------------------------------


@pytest.fixture
def three_rows(monkeypatch) -> int:
    """The editor shows at most 3 rows (the conference template has 4: 3 people, 1 call)."""
    monkeypatch.setattr(workspace_module, "EDITOR_ROWS", 3)
    return 3


def test_a_post_of_more_rows_than_the_editor_shows_is_refused_with_a_message(three_rows):
    workspace = ScenarioWorkspace.from_request(request("post", data=form(action="add:p")))
    assert workspace.too_large is True
    assert workspace.quote is None
    assert workspace.action == ""  # nothing done
    assert len(workspace.editor.rows["p"]) == 3
    assert workspace.problems() == [
        (
            "",
            "This scenario has 4 rows; the editor shows at most 3. Nothing was changed or "
            "saved: import its JSON to see it priced, or split it.",
        )
    ]
    assert workspace.revision() is None


def test_a_post_of_more_rows_to_a_saved_scenario_is_refused_with_a_message_too(three_rows):
    """Not answered with the stored document priced under "It has 4 rows": the stored one
    (of 1 row) is not what was posted, and the post changed nothing."""
    saved = saved_item(BY_SLUG["ivr-only"].document)
    workspace = ScenarioWorkspace.from_request(
        request("post", data=form(revision="1")), saved=saved
    )
    assert workspace.too_large is True
    assert workspace.quote is None
    [(_, message)] = workspace.problems()
    assert message.startswith("This scenario has 4 rows; the editor shows at most 3.")


def test_an_import_of_more_rows_than_the_editor_shows_is_priced_read_only(three_rows):
    document = BY_SLUG["conference"].document
    workspace = ScenarioWorkspace.from_request(request("post", "/import/"), initial=document)
    assert workspace.too_large is True
    assert workspace.unsaved is True
    assert workspace.problems() == []
    assert workspace.quote is not None
    assert workspace.quote.per_session.total == Decimal("0.4600")
    context = workspace.context()
    assert context["too_large"] is True
    assert context["row_count"] == 4
    assert context["editor_rows"] == 3


def test_a_document_already_read_is_not_read_again(three_rows, monkeypatch):
    document = BY_SLUG["conference"].document
    parsed = engine_parse_scenario(document)

    def read_again(document: Any) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(workspace_module, "parse_scenario", read_again)
    workspace = ScenarioWorkspace.from_request(
        request("post", "/import/"), initial=document, parsed=parsed
    )
    assert workspace.quote is not None
    assert workspace.quote.scenario is parsed


def test_a_saved_scenario_of_more_rows_is_priced_read_only_with_its_pinned_card(three_rows):
    saved = saved_item(BY_SLUG["conference"].document, **pinned_card())
    workspace = ScenarioWorkspace.from_request(request(), saved=saved)
    assert workspace.too_large is True
    assert workspace.unsaved is False
    assert workspace.quote is not None
    assert workspace.quote.card.prices[Meter.VOICE_CALL].rate == Decimal("0.0100")


def test_a_read_only_document_the_engine_refuses_says_why(three_rows):
    document = {**BY_SLUG["conference"].document, "sessions_per_month": -1}
    workspace = ScenarioWorkspace.from_request(request("post", "/import/"), initial=document)
    assert workspace.too_large is True
    assert workspace.quote is None
    [(where, message)] = workspace.problems()
    assert where == ""
    assert message.startswith("sessions_per_month: ")


# -- ScenarioWorkspace: context and render ---------------------------------------------------


def test_the_results_context_leaves_out_the_forms():
    workspace = ScenarioWorkspace.from_request(request(data={"template": "conference"}))
    whole = workspace.context()
    results = workspace.context(results_only=True)
    assert {"form", "bulk", "focus", "notices"} <= set(whole)
    assert not {"form", "bulk", "focus", "notices"} & set(results)
    assert set(whole) - set(results) == {"form", "bulk", "focus", "notices"}
    assert isinstance(whole["bulk"], BulkAddForm)
    assert not whole["bulk"].is_bound
    for key in ("quote", "lines", "figures", "models", "model_rows", "card_defaults"):
        assert results[key] is not None, key
    assert results["card_defaults"]["rate_voice_call_minutes"] == "0.0040"


def test_the_context_of_a_scenario_not_priced_has_no_results():
    workspace = ScenarioWorkspace.from_request(request("post", data=form(sessions_per_month="x")))
    context = workspace.context(results_only=True)
    assert context["quote"] is None
    assert "lines" not in context
    assert "figures" not in context
    assert context["errors"] == workspace.problems()
    assert context["field_errors"] == {
        "sessions_per_month": ["Enter a whole number from 0 to 1,000,000,000."]
    }


def test_the_results_partial_needs_nothing_but_the_results_context():
    """A live update draws the results from the smaller context: the same section as the
    whole page draws."""
    page_request = request(data={"template": "conference"})
    workspace = ScenarioWorkspace.from_request(page_request)
    partial = get_template("editor.html#results").render(
        workspace.context(results_only=True), page_request
    )
    page = workspace.render(page_request).render().content.decode()
    assert partial.strip().startswith('<section id="results"')
    assert 'data-total="session"' in partial
    # Less what a live update brings with the results for htmx to put in place by id (the
    # groups' heading, the card's fees and lists; the page draws them in place).
    own, brought = re.subn(
        r'<(small|span|datalist) id="([\w-]+)" hx-swap-oob="true">.*?</\1>', "", partial, flags=re.S
    )
    assert brought == 4
    flat = " ".join(own.split())
    assert flat in " ".join(page.split())
    assert "<input" not in partial


@pytest.mark.parametrize(
    ("data", "htmx", "template", "results_only"),
    [
        ({}, False, "editor.html", False),  # a page
        ({}, True, "editor.html#results", True),  # a live update
        ({"action": "add:p"}, True, "editor.html#editor", False),  # an action
        ({"action": "remove:p:0"}, True, "editor.html#editor", False),
        ({"action": "restore"}, True, "editor.html#editor", False),  # a draft brought back
        ({"action": "add:p"}, False, "editor.html", False),  # without script: the page
        ({"action": "save"}, True, "editor.html", False),  # a save the server refused
        ({"action": "save-copy"}, True, "editor.html", False),
    ],
)
def test_render_chooses_the_page_or_a_partial(data, htmx, template, results_only):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    made = request("post", data=form(**data), **extra)
    response = ScenarioWorkspace.from_request(made).render(made)
    assert response.template_name == template
    assert ("form" not in response.context_data) is results_only
    html = response.render().content.decode()
    if template == "editor.html":
        assert "<html" in html
    else:
        assert html.strip().startswith(f'<{"section" if results_only else "div"} id="')
        assert "<html" not in html


def test_a_live_update_of_a_read_only_scenario_gets_its_results(three_rows):
    made = live(form())
    workspace = ScenarioWorkspace.from_request(made)
    assert workspace.too_large
    response = workspace.render(made)
    assert response.template_name == "editor.html#results"
    assert "the editor shows at most 3" in response.render().content.decode()


# -- EstimateWorkspace -----------------------------------------------------------------------


def estimate_form(*slugs: str, **changes: str) -> dict[str, str]:
    """An estimate's fields as its page posts them, with templates `slugs` as its scenarios."""
    document = {"scenarios": [{"scenario": BY_SLUG[slug].document} for slug in slugs]}
    return {**estimate_data(document, "default"), **changes}


def estimate(method: str = "get", data: dict[str, Any] | None = None, **kwargs: Any):
    return EstimateWorkspace.from_request(request(method, "/estimates/new/", data), **kwargs)


def titles(workspace: EstimateWorkspace) -> list[str]:
    return [item.title() for item in workspace.items.forms]


def test_a_get_of_templates_prices_the_estimate():
    workspace = estimate(data={"templates": "ivr-only,ivr-agent"})
    assert workspace.action == ""
    assert workspace.posted is False
    assert titles(workspace) == ["IVR only", "IVR then agent transfer"]
    assert workspace.problems() == []
    assert isinstance(workspace.quote, EstimateQuote)
    # 20,000 x 3 min + 5,000 x 13 min = 125,000 voice min: 100,000 x 0.0040 + 25,000 x 0.0032.
    assert workspace.quote.month.net_total == Decimal("480.00")
    assert workspace.document is not None
    assert len(workspace.document["scenarios"]) == 2
    assert workspace.revision() is None
    assert workspace.rate_card_ref() == "default"
    assert workspace.context()["unsaved"] is False


def test_unknown_templates_are_left_out():
    workspace = estimate(data={"templates": "ivr-only,nope,,IVR-ONLY"})
    assert titles(workspace) == ["IVR only"]


def test_an_estimate_of_no_scenarios_asks_for_one():
    workspace = estimate()
    assert workspace.quote is None
    assert workspace.document is None
    assert workspace.problems() == [
        ("", "Add at least one scenario: from the templates, your saved scenarios or a share link.")
    ]
    assert workspace.context()["error_summary"] == workspace.problems()


def test_a_post_reprices_and_is_unsaved():
    workspace = estimate("post", estimate_form("ivr-only", discount_percent="10"))
    assert workspace.posted is True
    assert workspace.context()["unsaved"] is True
    assert workspace.quote is not None
    assert workspace.quote.month.net_total < Decimal("480.00")
    assert workspace.document is not None
    assert workspace.document["discount"]["percent"] == "10"


def test_adding_a_template():
    data = estimate_form("ivr-only", action="add-template", new_template="conference")
    workspace = estimate("post", data)
    assert workspace.action == "add-template"
    assert workspace.problem is None
    assert titles(workspace) == ["IVR only", "3-way conference"]
    assert workspace.quote is not None


def test_adding_no_template_says_to_choose_one():
    workspace = estimate("post", estimate_form("ivr-only", action="add-template", new_template=""))
    assert workspace.problem == "Choose a template to add."
    assert titles(workspace) == ["IVR only"]
    assert workspace.context()["problem"] == "Choose a template to add."


def test_removing_a_scenario():
    workspace = estimate("post", estimate_form("ivr-only", "ivr-agent", action="remove:0"))
    assert titles(workspace) == ["IVR then agent transfer"]


def test_adding_a_saved_scenario_by_its_link_or_from_mine():
    saved = saved_item({**BY_SLUG["conference"].document, "name": "Our standup"})
    for action, field, value in [
        ("add-saved", "new_saved", saved.share_key),
        ("add-link", "new_link", f"https://example.com/s/{saved.share_key}/"),
    ]:
        workspace = estimate("post", estimate_form("ivr-only", action=action, **{field: value}))
        assert workspace.problem is None, action
        assert titles(workspace) == ["IVR only", "Our standup"], action


def test_an_estimate_is_not_added_as_a_scenario():
    inner = {"scenarios": [{"scenario": BY_SLUG["ivr-only"].document, "sessions_per_month": 1}]}
    saved_estimate = saved_item(inner, kind=SavedScenario.ESTIMATE)
    data = estimate_form("ivr-only", action="add-link", new_link=saved_estimate.share_key)
    workspace = estimate("post", data)
    assert workspace.problem.startswith("That link is an estimate's: an estimate adds scenarios")
    assert titles(workspace) == ["IVR only"]


def test_mine_is_offered_as_the_saved_scenarios_to_add():
    first = saved_item({**BY_SLUG["ivr-only"].document, "name": "First"})
    second = saved_item({**BY_SLUG["ivr-agent"].document, "name": ""})
    workspace = estimate(data={"templates": "ivr-only"}, mine=[first, second])
    assert isinstance(workspace.form, EstimateForm)
    assert list(workspace.form.fields["new_saved"].choices) == [
        ("", "—"),
        (first.share_key, "First"),
        (second.share_key, "Untitled scenario"),
    ]
    assert list(estimate().form.fields["new_saved"].choices) == [("", "—")]


def test_the_estimates_fields_that_do_not_clean_are_problems_by_where_they_are():
    data = estimate_form("ivr-only", months="0", **{"i-0-sessions_per_month": "many"})
    workspace = estimate("post", data)
    assert workspace.quote is None
    assert workspace.problems() == [
        ("Projection, months", f"Enter a whole number from 1 to {MAX_MONTHS}."),
        ("Scenario 1, sessions per month", "Enter a whole number from 0 to 1,000,000,000."),
    ]
    assert set(workspace.field_errors()) == {"months", "i-0-sessions_per_month"}


def test_an_estimates_revision():
    assert estimate("post", estimate_form("ivr-only", revision="3")).revision() == 3
    assert estimate("post", estimate_form("ivr-only")).revision() is None


def test_a_saved_estimate_opens_with_its_revision_and_pinned_card():
    inner = {"scenarios": [{"scenario": BY_SLUG["ivr-only"].document, "sessions_per_month": 10}]}
    saved = saved_item(inner, kind=SavedScenario.ESTIMATE, **pinned_card())
    saved.revision = 2
    saved.save()
    workspace = estimate(saved=saved)
    assert workspace.revision() == 2
    assert workspace.quote is not None
    assert workspace.quote.card.prices[Meter.VOICE_CALL].rate == Decimal("0.0100")


@pytest.mark.parametrize(
    ("data", "htmx", "template"),
    [
        ({}, False, "estimate.html"),
        ({}, True, "estimate.html#estimate-results"),
        ({"action": "remove:0"}, True, "estimate.html#estimate"),
        ({"action": "add-template", "new_template": "ivr-only"}, True, "estimate.html#estimate"),
        ({"action": "save"}, True, "estimate.html"),
        ({"action": "remove:0"}, False, "estimate.html"),
    ],
)
def test_an_estimate_renders_the_page_or_a_partial(data, htmx, template):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    made = request(
        "post", "/estimates/new/", estimate_form("ivr-only", "ivr-agent", **data), **extra
    )
    response = EstimateWorkspace.from_request(made).render(made)
    assert response.template_name == template
    html = response.render().content.decode()
    assert ("<html" in html) is (template == "estimate.html")


def test_the_estimates_results_partial_draws_from_the_results_context():
    page_request = request("get", "/estimates/new/", {"templates": "ivr-only"})
    workspace = EstimateWorkspace.from_request(page_request)
    partial = get_template("estimate.html#estimate-results").render(
        workspace.context(results_only=True), page_request
    )
    page = workspace.render(page_request).render().content.decode()
    assert partial.strip().startswith('<section id="estimate-results"')
    assert 'data-total="month"' in partial
    assert partial.strip() in page


def test_an_imported_documents_inline_rates_and_terms_all_reach_the_editors_fields():
    from calculator.editor.scenario import document_state

    document = {
        "model": "sip_mediaserver",
        "participants": [{"join": 0, "leave": 60}],
        "rate_card": {
            "rates": {"voice_call_minutes": "0.0035"},
            "tier_modes": {"voice_call_minutes": "volume"},
        },
    }
    scenario, _ = document_state(document, "default")
    assert scenario["rate_voice_call_minutes"] == "0.0035"
    assert scenario["mode_voice_call_minutes"] == "volume"
