"""The estimate pages: build, price, project, save and share."""

import csv
import io
import json
import re
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from django.test import Client

from billing.engine import Model, parse_estimate, price_estimate
from billing.models import RateCardVersion
from calculator.editor.estimate import estimate_data
from calculator.editor.presets import BY_SLUG
from calculator.models import SavedScenario

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def total(html: str, which: str) -> str:
    return re.search(rf'data-total="{which}">([^<]+)<', html).group(1)


@pytest.fixture
def client():
    return Client()


def page_data(html: str) -> dict[str, str]:
    """The estimate form's fields as the page would post them back."""
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        data[name] = (
            value.replace("&quot;", '"')
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#x27;", "'")
        )
    for name, value in re.findall(
        r'<input type="(?:text|number)" name="([^"]+)"[^>]*value="([^"]*)"', html
    ):
        data[name] = value
    for name in ("rate_card", "new_template"):
        data.setdefault(name, "default" if name == "rate_card" else "ivr-only")
    data.setdefault("months", "12")
    return data


def open_new(client, templates="ivr-only,ivr-agent"):
    html = client.get(f"/estimates/new/?templates={templates}").content.decode()
    return html, page_data(html)


def test_new_estimate_from_two_templates_prices_the_month(client):
    html, _ = open_new(client)
    assert "IVR only" in html
    assert "IVR then agent transfer" in html
    # 20,000 x 3 min + 5,000 x 13 min = 125,000 voice min: 100,000 x 0.0040 + 25,000 x 0.0032.
    assert total(html, "month") == "$480.00"
    assert "Tier 2" in html


def test_htmx_live_update_returns_only_the_results(client):
    _, data = open_new(client)
    data["growth_percent"] = "10"
    html = client.post("/estimates/new/", data, **HTMX).content.decode()
    assert html.strip().startswith('<section id="estimate-results"')
    assert 'id="fig-projection"' in html


def test_plain_post_returns_the_whole_page(client):
    _, data = open_new(client)
    html = client.post("/estimates/new/", data).content.decode()
    assert "<html" in html
    assert total(html, "month") == "$480.00"


def test_a_discount_shows_list_discount_and_net(client):
    _, data = open_new(client)
    data["discount_percent"] = "10"
    html = client.post("/estimates/new/", data, **HTMX).content.decode()
    assert total(html, "list") == "$480.00"
    assert total(html, "discount") == "−$48.00"
    assert total(html, "month") == "$432.00"


def test_the_projection_chart_and_table_agree_with_the_engine(client):
    _, data = open_new(client)
    data.update(growth_percent="10", months="6")
    html = client.post("/estimates/new/", data, **HTMX).content.decode()
    figure = __import__("json").loads(
        re.search(
            r'<script id="fig-projection" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    go.Figure(data=figure["data"], layout=figure["layout"])
    document = {
        "scenarios": [
            {"scenario": BY_SLUG["ivr-only"].document, "sessions_per_month": 20000},
            {"scenario": BY_SLUG["ivr-agent"].document, "sessions_per_month": 5000},
        ],
        "growth": {"monthly_percent": "10", "months": 6},
    }
    from billing.service import default_card

    quote = price_estimate(parse_estimate(document), default_card())
    voice = next(t for t in figure["data"] if t["name"] == "Voice call minutes")
    assert voice["y"] == [float(m.net_total) for m in quote.projection]
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td class="num">([\d,]+)</td>', html)
    assert [(int(n), int(s.replace(",", ""))) for n, s in rows] == [
        (m.number, m.sessions) for m in quote.projection
    ]
    cumulative = re.findall(r'<td class="num">\$([\d,.]+)</td></tr>', html)[-6:]
    assert [Decimal(c.replace(",", "")) for c in cumulative] == quote.cumulative()


def test_adding_and_removing_scenarios(client):
    _, data = open_new(client, "ivr-only")
    html = client.post(
        "/estimates/new/", {**data, "action": "add-template", "new_template": "webinar"}, **HTMX
    ).content.decode()
    assert html.strip().startswith('<div id="estimate"')
    assert "Webinar: 2 presenters, 100 attendees" in html
    data = page_data(html)
    html = client.post("/estimates/new/", {**data, "action": "remove:0"}, **HTMX).content.decode()
    assert "IVR only" not in html.split("Add a template")[0]


def test_adding_a_saved_scenario_by_its_share_link(client):
    from calculator.editor.scenario import document_data

    response = client.post(
        "/editor/", {**document_data(BY_SLUG["conference"].document, "default"), "action": "save"}
    )
    key = response["Location"].split("/")[2]
    _, data = open_new(client, "ivr-only")
    html = client.post(
        "/estimates/new/", {**data, "action": "add-link", "new_link": f"http://x/s/{key}/"}
    ).content.decode()
    assert "3-way conference" in html
    html = client.post(
        "/estimates/new/", {**data, "action": "add-link", "new_link": "nonsense"}
    ).content.decode()
    assert "No saved scenario has that link (mistyped, or deleted)." in html
    # An estimate's own link: said as such, not as missing.
    estimate = save_estimate(client)
    html = client.post(
        "/estimates/new/",
        {**data, "action": "add-link", "new_link": f"http://x/s/{estimate.share_key}/"},
    ).content.decode()
    assert "That link is an estimate&#x27;s: an estimate adds scenarios" in html


def test_an_estimate_without_scenarios_says_what_to_do(client):
    html = client.get("/estimates/new/").content.decode()
    # A first step, said as one (not a problem to fix in red).
    assert (
        '<p class="note" role="status">Add at least one scenario: from the templates, your '
        "saved scenarios or a share link.</p>" in html
    )
    assert "Fix 1 problem" not in html


def test_bad_numbers_are_refused_beside_their_fields(client):
    _, data = open_new(client)
    data.update(months="99", discount_percent="150")
    html = client.post("/estimates/new/", data).content.decode()
    assert 'id="err-months"' in html
    assert 'id="err-discount_percent"' in html


def test_a_live_update_with_bad_numbers_says_which_and_where(client):
    """The htmx path swaps only the results: they list the problems and carry each field's
    errors for the page to put beside it."""
    _, data = open_new(client)
    data.update(discount_percent="150", **{"i-1-sessions_per_month": "-3"})
    html = client.post("/estimates/new/", data, **HTMX).content.decode()
    assert html.strip().startswith('<section id="estimate-results"')
    assert "Fix 2 problems to see the estimate:" in html
    assert "Discount on everything, %: Enter a number from 0 to 100, with at most 4" in html
    assert "Scenario 2, sessions per month: Enter a whole number from 0 to 1,000,000,000." in html
    found = re.search(r'<script id="field-errors" type="application/json">(.*?)</script>', html)
    errors = json.loads(found.group(1))
    assert set(errors) == {"discount_percent", "i-1-sessions_per_month"}


def save_estimate(client, **changes) -> SavedScenario:
    _, data = open_new(client)
    data.update(changes)
    response = client.post("/estimates/new/", {**data, "action": "save"})
    assert response.status_code == 302
    return SavedScenario.objects.get(share_key=response["Location"].split("/")[2])


def test_a_saved_estimate_is_shared_read_only_and_copied_like_a_scenario(client):
    saved = save_estimate(client, growth_percent="5", name="Acme")
    assert saved.kind == "estimate"
    stranger = Client()
    html = stranger.get(f"/s/{saved.share_key}/").content.decode()
    assert total(html, "month") == "$480.00"
    assert 'id="estimate-form"' not in html
    assert stranger.get(f"/s/{saved.share_key}/edit/").status_code == 403
    assert (
        stranger.post(f"/s/{saved.share_key}/edit/", {"action": "save"}, **HTMX).status_code == 403
    )
    response = stranger.post(f"/s/{saved.share_key}/copy/")
    copy = SavedScenario.objects.get(share_key=response["Location"].split("/")[2])
    assert copy.kind == "estimate"
    assert stranger.get(f"/s/{copy.share_key}/edit/").status_code == 200


def test_owner_edits_a_saved_estimate_and_stale_saves_are_refused(client):
    saved = save_estimate(client)
    html = client.get(f"/s/{saved.share_key}/edit/").content.decode()
    data = page_data(html)
    assert data["revision"] == "1"
    assert (
        client.post(
            f"/s/{saved.share_key}/edit/", {**data, "discount_percent": "20", "action": "save"}
        ).status_code
        == 302
    )
    stale = client.post(
        f"/s/{saved.share_key}/edit/", {**data, "discount_percent": "50", "action": "save"}
    )
    assert "Not saved" in stale.content.decode()
    saved.refresh_from_db()
    assert saved.document["discount"]["percent"] == "20"


def test_an_estimate_deleted_while_its_editor_was_open_is_saved_as_a_new_one(client):
    saved = save_estimate(client)
    data = page_data(client.get(f"/s/{saved.share_key}/edit/").content.decode())
    client.post(f"/s/{saved.share_key}/delete/", {"confirm": "yes"})
    live = client.post(
        f"/s/{saved.share_key}/edit/", {**data, "discount_percent": "20"}, **HTMX
    ).content.decode()
    assert "This estimate was deleted while you edited it" in live
    answer = client.post(
        f"/s/{saved.share_key}/edit/", {**data, "discount_percent": "20", "action": "save"}
    )
    new = SavedScenario.objects.get(share_key=answer["Location"].split("/")[2])
    assert new.kind == "estimate"
    assert new.document["discount"]["percent"] == "20"


def test_a_saved_estimate_keeps_its_prices_until_repriced(client):
    saved = save_estimate(client)
    card = RateCardVersion.objects.current("default")
    card.tiers.filter(meter="voice_call_minutes").delete()
    card.rates.filter(meter="voice_call_minutes").update(rate=Decimal("0.01"))
    card.save()
    assert total(Client().get(f"/s/{saved.share_key}/").content.decode(), "month") == "$480.00"
    preview = client.get(f"/s/{saved.share_key}/reprice/").content.decode()
    assert "$480.00" in preview
    assert "$1,250.00" in preview
    client.post(f"/s/{saved.share_key}/reprice/", {"confirm": "yes"})
    assert total(Client().get(f"/s/{saved.share_key}/").content.decode(), "month") == "$1,250.00"


def test_estimate_exports_json_the_api_prices_the_same_and_csv_has_lines_and_projection(client):
    saved = save_estimate(client, growth_percent="10", months="3", discount_percent="5")
    exported = client.get(f"/s/{saved.share_key}/export.json").content
    api = client.post("/api/estimate", exported, content_type="application/json").json()
    assert api["monthly"]["total"] == "456.00"
    rows = list(
        csv.reader(io.StringIO(client.get(f"/s/{saved.share_key}/export.csv").content.decode()))
    )
    assert rows[0][:3] == ["section", "meter", "quantity_minutes"]
    assert ["month", "total", "", "", "480.00", "", "24.00", "456.00", "USD"] in rows
    projection = [r for r in rows if r and r[0].isdigit()]
    assert [r[0] for r in projection] == ["1", "2", "3"]
    assert projection[-1][-1] == str(sum(Decimal(r[4]) for r in projection))


def test_estimate_print_view(client):
    saved = save_estimate(client, name="Acme")
    html = Client().get(f"/s/{saved.share_key}/print/").content.decode()
    assert "Cost estimate" in html
    assert total(html, "month") == "$480.00"


def test_two_saved_items_side_by_side_with_differences_and_a_chart(client):
    from calculator.editor.scenario import document_data

    response = client.post(
        "/editor/", {**document_data(BY_SLUG["ivr-agent"].document, "default"), "action": "save"}
    )
    scenario_key = response["Location"].split("/")[2]
    estimate = save_estimate(client)
    html = (
        Client()
        .get(f"/compare/saved/?k={scenario_key}&k=http://x/s/{estimate.share_key}/")
        .content.decode()
    )
    # IVR then agent: 65,000 voice min = $260.00 a month; the estimate: $480.00.
    assert "$260.00" in html
    assert "$480.00" in html
    assert "+$220.00" in html
    figure = __import__("json").loads(
        re.search(
            r'<script id="fig-side" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    go.Figure(data=figure["data"], layout=figure["layout"])
    assert [trace["y"] for trace in figure["data"]] == [[260.0], [480.0]]


def test_compare_saved_names_unknown_links_and_keeps_them_to_correct(client):
    url = "/compare/saved/?k=http://x/s/aaaaaaaaaaaaaaaaaaaaaaaa/&k=hello"
    html = client.get(url).content.decode()
    assert "No saved scenario or estimate has the link …/s/aaaaaaaaaaaaaaaaaaaaaaaa/" in html
    assert "“hello” is not a share link" in html
    assert 'value="http://x/s/aaaaaaaaaaaaaaaaaaaaaaaa/"' in html
    assert 'value="hello"' in html


def test_the_model_comparison_shows_where_one_model_overtakes_another(client):
    html = client.get("/compare/?template=video-meeting").content.decode()
    figure = __import__("json").loads(
        re.search(
            r'<script id="fig-curves" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    go.Figure(data=figure["data"], layout=figure["layout"])
    assert len(figure["data"]) == len(Model)
    assert "is cheaper than" in html


def test_a_share_link_that_adds_nothing_stays_in_its_field_to_correct(client):
    data = {
        **estimate_data({"scenarios": [{"scenario": BY_SLUG["ivr-agent"].document}]}, "default"),
        "new_link": "https://example.com/s/not-a-real-link-at-all/",
        "action": "add-link",
    }
    html = client.post("/estimates/new/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "No saved scenario has that link (mistyped, or deleted)." in html
    assert 'value="https://example.com/s/not-a-real-link-at-all/"' in html


def test_an_estimates_own_fees_and_its_scenarios_fees_are_counted_edited_and_kept(client):
    # The default card's sample monthly fees are offered as the estimate's own.
    html, data = open_new(client)
    assert 'name="fee_alexa_device"' in html
    assert "Provisioned Alexa device, Device Service (sample fee): $2.00 a month" in html
    before = Decimal(total(html, "month").strip("$").replace(",", ""))
    live = client.post("/estimates/new/", {**data, "fee_sip_core": "2"}, **HTMX).content.decode()
    after = Decimal(total(live, "month").strip("$").replace(",", ""))
    assert after - before == Decimal("50.00")
    assert "SIP Core trunk (sample fee): 2 × $25.00 a month = $50.00" in live
    bad = client.post("/estimates/new/", {**data, "fee_sip_core": "-1"}, **HTMX).content.decode()
    assert "fee_sip_core" in bad
    # Imported with a scenario that counts its own fees and the estimate's: priced and kept.
    scenario = {**BY_SLUG["ivr-only"].document, "name": "IVR", "fees": {"alexa_device": 3}}
    document = {
        "scenarios": [{"scenario": scenario, "sessions_per_month": 10}],
        "fees": {"sip_core": 1},
    }
    kept = estimate_data(document, "default")
    assert kept["fee_sip_core"] == "1"
    opened = client.post("/estimates/new/", kept).content.decode()
    assert "Provisioned Alexa device, Device Service (sample fee) (IVR): 3 × $2.00" in opened
    assert "SIP Core trunk (sample fee): 1 × $25.00 a month = $25.00" in opened
    assert re.search(r'name="fee_sip_core"[^>]*value="1"', opened)
    assert client.post("/estimates/new/", {**kept, "action": "save"}).status_code == 302
    saved = SavedScenario.objects.filter(kind=SavedScenario.ESTIMATE).latest("pk")
    assert saved.document["fees"] == {"sip_core": 1}
    assert saved.document["scenarios"][0]["scenario"]["fees"] == {"alexa_device": 3}
    # A session fee can't be the estimate's own: refused by name, not dropped.
    card = RateCardVersion.objects.current("default")
    card.terms = {
        **card.terms,
        "fees": {**card.terms["fees"], "setup": {"per": "session", "price": "0.01"}},
    }
    card.save()
    wrong = client.post("/estimates/new/", {**kept, "fee_setup": "1"}, **HTMX).content.decode()
    assert "is a fee per session" in wrong
