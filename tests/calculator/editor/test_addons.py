"""Add-ons in the editor and everywhere a scenario goes (issue 15)."""

import json
import re

import pytest

from calculator.editor.scenario import document_data
from calculator.models import SavedScenario

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

DOCUMENT = {
    "name": "Archived support line",
    "model": "sip_mediaserver",
    "sessions_per_month": 100,
    "participants": [{"join": 0, "leave": 600}, {"join": 0, "leave": 600}],
    "addons": [{"meter": "composed_archive_minutes", "start": 0, "end": 590}],
    "rate_card": {
        "addons": {"composed_archive_minutes": {"label": "Composed archive", "rate": "0.0100"}}
    },
}


def total(html, which):
    return re.search(rf'data-total="{which}">([^<]+)<', html).group(1)


def datalist(html, name):
    """The values a datalist offers, in its order."""
    options = re.search(rf'<datalist id="{name}">(.*?)</datalist>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]+)">', options)


def test_an_imported_add_on_is_priced_shown_edited_and_kept(client):
    html = client.post("/import/", {"text": json.dumps(DOCUMENT)}).content.decode()
    assert "Composed archive" in html
    assert "1 interval (Composed archive 1 9:50 rounded to 10 min) = 10 min × $0.0100" in html
    assert 'id="id_a-0-meter" value="composed_archive_minutes"' in html
    assert "composed_archive_minutes" in datalist(html, "addon-meters")
    data = document_data(DOCUMENT, "default")
    assert data["a-0-meter"] == "composed_archive_minutes"
    # Typed: a longer archive, live.
    live = client.post("/editor/", {**data, "a-0-end": "20:00"}, **HTMX).content.decode()
    assert "1 interval × 20 min = 20 min × $0.0100 = $0.2000" in live
    # An add-on the card does not have: the message beside the row's input, nothing priced.
    bad = client.post(
        "/editor/", {**data, "a-0-meter": "sip_trunk_minutes"}, **HTMX
    ).content.decode()
    assert "the rate card has no add-on 'sip_trunk_minutes'" in bad
    assert "a-0-meter" in bad
    # Add a row: it bills the same add-on as the last.
    added = client.post("/editor/", {**data, "action": "add:a"}, **HTMX).content.decode()
    assert 'id="id_a-1-meter" value="composed_archive_minutes"' in added
    # Saved, shared, exported: the add-on and its card stay.
    assert client.post("/editor/", {**data, "action": "save"}).status_code == 302
    saved = SavedScenario.objects.get()
    (addon,) = saved.document["addons"]
    assert addon["meter"] == "composed_archive_minutes"
    assert (addon["start"], addon["end"]) in ((0, 590), ("0", "590"))
    assert saved.document["rate_card"]["addons"] == DOCUMENT["rate_card"]["addons"]
    share = client.get(f"/s/{saved.share_key}/").content.decode()
    assert "Add-on 1 (composed_archive_minutes): 0:00–9:50" in share
    assert "Composed archive" in share
    csv_text = client.get(f"/s/{saved.share_key}/export.csv").content.decode()
    assert "composed_archive_minutes" in csv_text
    exported = client.get(f"/s/{saved.share_key}/export.json").json()
    assert exported["addons"][0]["meter"] == "composed_archive_minutes"


def test_a_document_without_add_ons_is_written_as_before(client):
    plain = {key: value for key, value in DOCUMENT.items() if key not in ("addons", "rate_card")}
    data = {**document_data(plain, "default"), "action": "save"}
    assert client.post("/editor/", data).status_code == 302
    assert "addons" not in SavedScenario.objects.get().document


def test_the_api_prices_add_ons_and_refuses_unknown_ones_by_path(client):
    answer = client.post("/api/estimate", json.dumps(DOCUMENT), content_type="application/json")
    assert answer.status_code == 200
    lines = {line["meter"]: line for line in answer.json()["monthly"]["lines"]}
    assert lines["composed_archive_minutes"]["amount"] == "10.00"
    bad = {**DOCUMENT, "addons": [{"meter": "nope", "start": 0, "end": 60}]}
    refused = client.post("/api/estimate", json.dumps(bad), content_type="application/json")
    assert refused.status_code == 400
    assert "addons[0].meter" in refused.content.decode()


def test_saved_items_compare_with_their_add_ons_and_fees(client):
    with_fee = {
        **DOCUMENT,
        "fees": {"setup": 2},
        "rate_card": {
            **DOCUMENT["rate_card"],
            "fees": {"setup": {"label": "Call set-up", "per": "month", "price": "5.00"}},
        },
    }
    keys = []
    for document in (DOCUMENT, with_fee):
        data = {**document_data(document, "default"), "action": "save"}
        client.post("/editor/", data)
        keys.append(SavedScenario.objects.order_by("-pk").first().share_key)
    html = client.get("/compare/saved/", {"k": keys}).content.decode()
    assert "Composed archive" in html
    assert "Call set-up" in html
    with_fee_total = client.get(f"/s/{keys[1]}/").content.decode()
    month = total(with_fee_total, "month")
    assert month in html


def test_fee_counts_are_rows_of_the_editor(client):
    # The default card's sample fees: a provisioned Alexa device and a SIP Core trunk a month.
    document = {
        "model": "sip_mediaserver",
        "sessions_per_month": 100,
        "participants": [{"join": 0, "leave": 600}],
        "fees": {"alexa_device": 25},
    }
    html = client.post("/import/", {"text": json.dumps(document)}).content.decode()
    assert 'id="id_f-0-fee" value="alexa_device"' in html
    assert "alexa_device" in datalist(html, "card-fees")
    assert "(Sample fee)" in html or "(sample fee)" in html
    assert "25 × $2.00 a month = $50.00" in html
    data = document_data(document, "default")
    assert (data["f-0-fee"], data["f-0-count"]) == ("alexa_device", "25")
    # Another fee, typed.
    more = {**data, "f-TOTAL_FORMS": "2", "f-1-fee": "sip_core", "f-1-count": "2"}
    live = client.post("/editor/", more, **HTMX).content.decode()
    assert "2 × $25.00 a month = $50.00" in live
    # The same fee twice, a fee the card does not have, a count that is no count: each
    # beside its row's input, nothing priced.
    twice = client.post("/editor/", {**more, "f-1-fee": "alexa_device"}, **HTMX).content.decode()
    assert "counted in another row already" in twice
    assert "f-1-fee" in twice
    unknown = client.post("/editor/", {**more, "f-1-fee": "nope"}, **HTMX).content.decode()
    assert "the rate card has no fee 'nope'" in unknown
    assert "f-1-fee" in unknown
    negative = client.post("/editor/", {**more, "f-1-count": "-1"}, **HTMX).content.decode()
    assert "f-1-count" in negative
    # Added with the button, removed with its row's.
    added = client.post("/editor/", {**data, "action": "add:f"}, **HTMX).content.decode()
    assert 'id="id_f-1-fee"' in added
    removed = client.post("/editor/", {**more, "action": "remove:f:0"}, **HTMX).content.decode()
    assert 'id="id_f-1-fee"' not in removed
    assert 'value="sip_core"' in removed
    # Saved: the document's fees, as counted.
    assert client.post("/editor/", {**more, "action": "save"}).status_code == 302
    saved = SavedScenario.objects.get()
    assert saved.document["fees"] == {"alexa_device": 25, "sip_core": 2}


def test_the_deals_own_add_ons_and_fees_are_deal_terms_rows(client):
    # Imported: the inline card's add-on is a row of the deal's add-ons.
    data = document_data(DOCUMENT, "default")
    assert (data["x-0-key"], data["x-0-label"], data["x-0-rate"]) == (
        "composed_archive_minutes",
        "Composed archive",
        "0.0100",
    )
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert "1 interval (Composed archive 1 9:50 rounded to 10 min) = 10 min × $0.0100" in html
    # The card's sample audio connector at a negotiated rate, and a new SIP trunk add-on.
    deal = {
        **data,
        "x-TOTAL_FORMS": "2",
        "x-1-key": "sip_trunk_minutes",
        "x-1-label": "SIP trunk",
        "x-1-rate": "0.0020",
        "a-TOTAL_FORMS": "2",
        "a-1-meter": "sip_trunk_minutes",
        "a-1-start": "0:00",
        "a-1-end": "10:00",
    }
    live = client.post("/editor/", deal, **HTMX).content.decode()
    assert "1 interval × 10 min = 10 min × $0.0020 = $0.0200" in live
    # A fee at the deal's price: the card's sample Alexa device at 1.50.
    priced = {
        **deal,
        "y-TOTAL_FORMS": "1",
        "y-0-key": "alexa_device",
        "y-0-label": "Alexa device (negotiated)",
        "y-0-per": "month",
        "y-0-price": "1.50",
        "f-TOTAL_FORMS": "1",
        "f-0-fee": "alexa_device",
        "f-0-count": "10",
    }
    live = client.post("/editor/", priced, **HTMX).content.decode()
    assert "Alexa device (negotiated): 10 × $1.50 a month = $15.00" in live
    # Bad rows: each problem beside its input.
    for changes, name, words in (
        ({"x-1-key": "Voice Minutes"}, "x-1-key", "lower-case letters"),
        ({"x-1-key": "voice_call_minutes"}, "x-1-key", "built-in meter"),
        ({"x-1-key": "composed_archive_minutes"}, "x-1-key", "another add-on has this key"),
        ({"x-1-rate": "-1"}, "x-1-rate", "Enter a rate a minute"),
        ({"y-0-price": "abc"}, "y-0-price", "Enter a price"),
        ({"y-0-per": "year"}, "y-0-per", "Select a valid choice"),
    ):
        bad = client.post("/editor/", {**priced, **changes}, **HTMX).content.decode()
        assert name in bad, (changes, name)
        assert words in bad, (changes, words)
    # Saved: the deal's add-ons and fees are the inline card's.
    assert client.post("/editor/", {**priced, "action": "save"}).status_code == 302
    card = SavedScenario.objects.get().document["rate_card"]
    assert card["addons"]["sip_trunk_minutes"] == {"label": "SIP trunk", "rate": "0.0020"}
    assert card["fees"]["alexa_device"]["price"] == "1.50"


def test_the_compare_page_and_the_cost_chart_add_up_with_add_ons_fees_and_a_minimum(client):
    from decimal import Decimal

    from billing.service import price_document
    from calculator import charts

    document = {
        **DOCUMENT,
        "fees": {"alexa_device": 10},
        "rate_card": {**DOCUMENT["rate_card"], "monthly_minimum": "400"},
    }
    html = client.post("/compare/", document_data(document, "default")).content.decode()
    assert '<th scope="row">Composed archive</th>' in html
    assert "Fees a month" in html
    assert "Made up to the minimum commitment" in html
    # The cost chart: a bar for every line, fee and the minimum's top-up, adding up.
    quote = price_document(document)
    figure = charts.costs(quote)
    _, month = figure["data"]
    assert sum(Decimal(str(x)) for x in month["x"]) == quote.monthly.total
    assert "Provisioned Alexa device, Device Service (sample fee)" in month["y"]
    assert "Minimum commitment" in month["y"]
    assert figure["layout"]["yaxis"]["categoryarray"] == figure["layout"]["yaxis2"]["categoryarray"]


def test_the_share_page_says_the_fees_counted_and_the_deals_terms(client):
    document = {
        **DOCUMENT,
        "fees": {"alexa_device": 10},
        "rate_card": {**DOCUMENT["rate_card"], "rounding": "session", "monthly_minimum": "400"},
    }
    data = {**document_data(document, "default"), "action": "save"}
    assert client.post("/editor/", data).status_code == 302
    share = client.get(f"/s/{SavedScenario.objects.get().share_key}/").content.decode()
    assert "<li>Fee <code>alexa_device</code> × 10</li>" in share
    assert "<li>What is rounded: a session&#x27;s total, once per meter</li>" in share
    assert "<li>Monthly minimum commitment: 400</li>" in share
    assert (
        "<li>The deal's add-on <code>composed_archive_minutes</code> (Composed archive) "
        "at 0.0100 a minute</li>"
    ) in share


def test_a_draft_brought_back_keeps_fee_counts_add_ons_and_the_deals_terms(client):
    # What the page keeps in the browser comes back through "restore", every new row with it.
    data = {
        **document_data(DOCUMENT, "default"),
        "f-TOTAL_FORMS": "1",
        "f-0-fee": "alexa_device",
        "f-0-count": "7",
        "y-TOTAL_FORMS": "1",
        "y-0-key": "setup",
        "y-0-label": "Set-up",
        "y-0-per": "session",
        "y-0-price": "0.01",
        "action": "restore",
    }
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert 'id="id_f-0-count" value="7"' in html
    assert 'id="id_y-0-key" value="setup"' in html
    assert 'id="id_x-0-key" value="composed_archive_minutes"' in html
    assert 'id="id_a-0-meter" value="composed_archive_minutes"' in html
    assert "7 × $2.00 a month = $14.00" in html
