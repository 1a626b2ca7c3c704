"""Saved scenarios: who may change them, pinned prices, no lost updates, export and import."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from billing.models import RateCardVersion
from calculator.editor.presets import BY_SLUG, PRESETS
from calculator.editor.scenario import document_data
from calculator.models import DeletedShare, SavedScenario

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def total(html: str, which: str) -> str:
    return re.search(rf'data-total="{which}">([^<]+)<', html).group(1)


def form_data(slug="ivr-agent", **changes):
    data = document_data(BY_SLUG[slug].document, "default")
    data.update(changes)
    return data


def save(client, slug="ivr-agent", **changes) -> SavedScenario:
    response = client.post("/editor/", {**form_data(slug, **changes), "action": "save"})
    assert response.status_code == 302, response.content.decode()[:2000]
    key = response["Location"].split("/")[2]
    return SavedScenario.objects.get(share_key=key)


def editor_data(client, saved):
    """The edit form's data as the owner's browser would send it back."""
    html = client.get(f"/s/{saved.share_key}/edit/").content.decode()
    revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
    data = document_data(saved.document, "default", revision=int(revision))
    return data


@pytest.fixture
def owner():
    return Client()


@pytest.fixture
def stranger():
    return Client()


def test_saving_gives_an_unguessable_link_and_a_private_edit_link_shown_once(owner):
    saved = save(owner)
    assert len(saved.share_key) >= 22  # 144 random bits, URL-safe
    assert saved.edit_key_hash
    assert len(saved.edit_key_hash) == 64
    first = owner.get(f"/s/{saved.share_key}/edit/").content.decode()
    link = re.search(r'value="(http://testserver/s/[^/]+/edit/[^/"]+/)"', first).group(1)
    assert saved.share_key in link
    second = owner.get(f"/s/{saved.share_key}/edit/").content.decode()
    assert link not in second
    assert "Your private edit link" not in second


def test_share_keys_differ_and_are_not_sequential(owner):
    keys = {save(owner).share_key for _ in range(5)}
    assert len(keys) == 5


def test_the_share_link_shows_the_same_total_read_only(owner, stranger):
    saved = save(owner)
    html = stranger.get(f"/s/{saved.share_key}/").content.decode()
    assert total(html, "session") == "$0.0520"
    assert 'id="scenario"' not in html  # no editor form
    assert "Make a copy" in html
    assert f"/s/{saved.share_key}/edit/" not in html
    # The participants as the editor names their choices.
    assert '<td data-label="Endpoint">PSTN phone</td><td data-label="Media">Voice</td>' in html


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "edit/", None),
        ("post", "edit/", "save"),
        ("post", "edit/", "live"),
        ("post", "edit/", "add"),
        ("get", "rename/", None),
        ("post", "rename/", {"name": "Hijacked"}),
        ("get", "delete/", None),
        ("post", "delete/", {"confirm": "yes"}),
        ("get", "reprice/", None),
        ("post", "reprice/", {"confirm": "yes"}),
    ],
)
def test_the_share_link_cannot_change_anything_through_any_url_or_method(
    owner, stranger, method, path, data
):
    saved = save(owner)
    before = (saved.document_json, saved.name, saved.revision, saved.card)
    url = f"/s/{saved.share_key}/{path}"
    if data in ("save", "live", "add"):
        body = {**form_data(**{"p-1-leave": "30:00"}), "revision": "1"}
        if data != "live":
            body["action"] = {"save": "save", "add": "add:p"}[data]
        for extra in ({}, HTMX):
            response = stranger.post(url, body, **extra)
            assert response.status_code == 403
    else:
        response = getattr(stranger, method)(url, data or {})
        assert response.status_code == 403
        response = getattr(stranger, method)(url, data or {}, **HTMX)
        assert response.status_code == 403
    saved.refresh_from_db()
    assert (saved.document_json, saved.name, saved.revision, saved.card) == before


def test_only_get_reaches_the_share_page(owner, stranger):
    saved = save(owner)
    assert stranger.post(f"/s/{saved.share_key}/").status_code == 405


def test_a_wrong_or_guessed_edit_token_is_refused(owner, stranger):
    saved = save(owner)
    assert stranger.get(f"/s/{saved.share_key}/edit/not-the-token/").status_code == 403
    assert stranger.get(f"/s/{saved.share_key}/edit/").status_code == 403
    assert stranger.get("/s/not-a-real-key/").status_code == 404


def test_the_private_edit_link_makes_another_browser_an_owner(owner, stranger):
    saved = save(owner)
    html = owner.get(f"/s/{saved.share_key}/edit/").content.decode()
    link = re.search(r'value="http://testserver(/s/[^/]+/edit/[^/"]+/)"', html).group(1)
    response = stranger.get(link)
    assert response.status_code == 302
    assert stranger.get(f"/s/{saved.share_key}/edit/").status_code == 200


def test_a_signed_in_user_owns_what_they_save_and_others_cannot_see_it():
    alice, bob = (
        User.objects.create_user("alice", password="pw"),
        User.objects.create_user("bob", password="pw"),
    )
    a, b = Client(), Client()
    a.force_login(alice)
    b.force_login(bob)
    saved = save(a)
    assert saved.owner == alice
    assert saved.edit_key_hash == ""
    assert saved.title in a.get("/mine/").content.decode()
    assert saved.title not in b.get("/mine/").content.decode()
    assert b.get(f"/s/{saved.share_key}/edit/").status_code == 403
    # Alice can edit from another browser once signed in.
    c = Client()
    c.force_login(alice)
    assert c.get(f"/s/{saved.share_key}/edit/").status_code == 200


def test_make_a_copy_belongs_to_whoever_made_it_and_leaves_the_original(owner, stranger):
    saved = save(owner)
    response = stranger.post(f"/s/{saved.share_key}/copy/")
    copy = SavedScenario.objects.get(share_key=response["Location"].split("/")[2])
    assert copy.pk != saved.pk
    assert copy.name.endswith("(copy)")
    data = {**editor_data(stranger, copy), "p-1-leave": "30:00", "action": "save"}
    assert stranger.post(f"/s/{copy.share_key}/edit/", data).status_code == 302
    assert owner.get(f"/s/{copy.share_key}/edit/").status_code == 403
    saved.refresh_from_db()
    assert saved.document["participants"][1]["leave"] == 420


def test_owner_saves_changes_and_the_share_link_shows_them(owner, stranger):
    saved = save(owner)
    data = {**editor_data(owner, saved), "p-1-leave": "12:00", "action": "save"}
    assert owner.post(f"/s/{saved.share_key}/edit/", data).status_code == 302
    assert total(stranger.get(f"/s/{saved.share_key}/").content.decode(), "session") == "$0.0720"
    saved.refresh_from_db()
    assert saved.revision == 2


def test_a_save_of_a_stale_version_is_refused_and_the_stored_one_kept(owner):
    saved = save(owner)
    first_tab = {**editor_data(owner, saved), "p-1-leave": "12:00", "action": "save"}
    second_tab = {**editor_data(owner, saved), "p-1-leave": "20:00", "action": "save"}
    assert owner.post(f"/s/{saved.share_key}/edit/", first_tab).status_code == 302
    response = owner.post(f"/s/{saved.share_key}/edit/", second_tab)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not saved: this scenario was changed elsewhere" in html
    assert 'value="20:00"' in html  # the second tab's text is still in its form
    saved.refresh_from_db()
    assert saved.document["participants"][1]["leave"] == 720
    assert saved.revision == 2


def test_save_as_new_keeps_a_stale_tabs_changes(owner):
    saved = save(owner)
    stale = {**editor_data(owner, saved), "p-1-leave": "20:00"}
    owner.post(f"/s/{saved.share_key}/edit/", {**stale, "p-1-leave": "12:00", "action": "save"})
    response = owner.post(f"/s/{saved.share_key}/edit/", {**stale, "action": "save-copy"})
    copy = SavedScenario.objects.get(share_key=response["Location"].split("/")[2])
    assert copy.document["participants"][1]["leave"] == 1200


@pytest.mark.parametrize("action", ["save", "save-copy"])
def test_an_item_deleted_while_its_editor_was_open_loses_nothing_typed(owner, action):
    saved = save(owner)
    edit = f"/s/{saved.share_key}/edit/"
    typed = {**editor_data(owner, saved), "p-1-leave": "20:00"}
    owner.post(f"/s/{saved.share_key}/delete/", {"confirm": "yes"})  # another tab
    # Typing goes on being priced, and says what happened.
    live = owner.post(edit, typed, **HTMX)
    assert live.status_code == 200
    html = live.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "This scenario was deleted while you edited it" in html
    assert total(html, "session") == total(
        owner.post("/editor/", form_data(**{"p-1-leave": "20:00"}), **HTMX).content.decode(),
        "session",
    )
    # Either Save keeps what was typed as a new scenario.
    saved_new = owner.post(edit, {**typed, "action": action})
    assert saved_new.status_code == 302
    new = SavedScenario.objects.get(share_key=saved_new["Location"].split("/")[2])
    assert new.share_key != saved.share_key
    assert new.document["participants"][1]["leave"] == 1200
    page = owner.get(saved_new["Location"]).content.decode()
    assert "deleted meanwhile: what you typed is saved as a new scenario" in page
    # Its link still says deleted; a page asked for by GET is the deleted page.
    assert owner.get(edit).status_code == 410


def test_a_deleted_items_editor_is_still_no_way_into_anothers_item(owner, stranger):
    saved = save(owner)
    owner.post(f"/s/{saved.share_key}/delete/", {"confirm": "yes"})
    answer = stranger.post(f"/s/{saved.share_key}/edit/", {**form_data(), "action": "save"})
    # A new scenario of the stranger's own, never the deleted one brought back.
    assert answer.status_code == 302
    assert SavedScenario.objects.get().share_key != saved.share_key


def change_default_voice_rate(rate: str) -> None:
    card = RateCardVersion.objects.current("default")
    card.rates.filter(meter="voice_call_minutes").update(rate=Decimal(rate))
    card.tiers.filter(meter="voice_call_minutes").delete()
    card.save()


def test_a_saved_quote_does_not_move_when_list_prices_change_until_its_owner_reprices(
    owner, stranger
):
    saved = save(owner)
    effective = RateCardVersion.objects.current("default").effective_date
    change_default_voice_rate("0.0100")
    # A new scenario gets the new price...
    assert total(owner.get("/editor/?template=ivr-agent").content.decode(), "session") == "$0.1300"
    # ...the saved one keeps its old one, for everyone, with the card's version and date.
    html = stranger.get(f"/s/{saved.share_key}/").content.decode()
    assert total(html, "session") == "$0.0520"
    assert "v2" in html
    assert f"v2, effective {effective.day} {effective:%b %Y}" in html  # as pages write dates
    assert "Reprice" not in html  # only the owner is offered repricing
    owner_view = owner.get(f"/s/{saved.share_key}/").content.decode()
    assert "Reprice with current rates" in owner_view
    # Repricing shows both totals before changing anything.
    preview = owner.get(f"/s/{saved.share_key}/reprice/").content.decode()
    assert "$0.0520" in preview
    assert "$0.1300" in preview
    # The card was changed in place (v2 still): the two columns say which prices are which.
    assert "its prices when the quote was saved" in preview
    assert "its prices as changed since" in preview
    assert total(stranger.get(f"/s/{saved.share_key}/").content.decode(), "session") == "$0.0520"
    owner.post(f"/s/{saved.share_key}/reprice/", {"confirm": "yes"})
    assert total(stranger.get(f"/s/{saved.share_key}/").content.decode(), "session") == "$0.1300"


def test_editing_a_saved_quote_keeps_its_pinned_card(owner):
    saved = save(owner)
    change_default_voice_rate("0.0100")
    data = {**editor_data(owner, saved), "p-1-leave": "12:00"}
    html = owner.post(f"/s/{saved.share_key}/edit/", data, **HTMX).content.decode()
    assert total(html, "session") == "$0.0720"  # 18 min at the pinned 0.0040


def test_every_button_of_a_saved_scenarios_editor_posts_back_to_it(owner):
    """Adding a recording or a participant to a saved scenario must not detach the page from
    it: its Save would then make a new scenario instead of saving the changes."""
    saved = save(owner, "contact-centre")
    edit = f"/s/{saved.share_key}/edit/"
    html = owner.get(edit).content.decode()
    targets = set(re.findall(r'hx-post="([^"]+)"', html))
    assert targets == {edit}, targets
    data = {**editor_data(owner, saved), "action": "add:r"}
    added = owner.post(edit, data, **HTMX).content.decode()
    assert set(re.findall(r'hx-post="([^"]+)"', added)) == {edit}
    assert 'value="save-copy"' in added  # still the saved scenario's editor


def test_rename_and_delete_by_the_owner(owner, stranger):
    saved = save(owner)
    owner.post(f"/s/{saved.share_key}/rename/", {"name": "Acme support line"})
    saved.refresh_from_db()
    assert saved.name == "Acme support line"
    assert saved.document["name"] == "Acme support line"
    confirm = owner.get(f"/s/{saved.share_key}/delete/").content.decode()
    assert "cannot be undone" in confirm
    assert SavedScenario.objects.filter(pk=saved.pk).exists()
    owner.post(f"/s/{saved.share_key}/delete/", {})  # no confirmation: nothing happens
    assert SavedScenario.objects.filter(pk=saved.pk).exists()
    owner.post(f"/s/{saved.share_key}/delete/", {"confirm": "yes"})
    assert not SavedScenario.objects.filter(pk=saved.pk).exists()
    gone = stranger.get(f"/s/{saved.share_key}/")
    assert gone.status_code == 410  # deleted, not never made
    assert "This scenario was deleted" in gone.content.decode()
    assert saved.share_key not in str(DeletedShare.objects.values_list())  # only a hash kept


def test_a_mistyped_share_link_gets_the_products_own_page_with_a_way_back(client):
    for path in ("/s/not-a-real-key-at-all-x/", "/s/not-a-real-key-at-all-x/print/"):
        response = client.get(path)
        assert response.status_code == 404
        html = response.content.decode()
        assert "No saved scenario has this link" in html
        assert 'href="/"' in html


def test_an_unknown_page_gets_the_products_own_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is no page here" in response.content.decode()


def test_last_changed_is_shown(owner, stranger):
    saved = save(owner)
    assert "Last changed" in stranger.get(f"/s/{saved.share_key}/").content.decode()


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.slug)
def test_export_then_import_prices_identically_for_every_template(owner, preset):
    saved = save(owner, preset.slug)
    exported = owner.get(f"/s/{saved.share_key}/export.json")
    assert exported["Content-Type"] == "application/json"
    assert "attachment" in exported["Content-Disposition"]
    shared = owner.get(f"/s/{saved.share_key}/").content.decode()
    imported = owner.post("/import/", {"text": exported.content.decode()}).content.decode()
    for which in ("session", "month"):
        assert total(imported, which) == total(shared, which)
    # And through the API, the same document prices the same.
    api = owner.post("/api/estimate", exported.content, content_type="application/json").json()
    assert f"${Decimal(api['monthly']['total']):,f}" == total(shared, "month")


def test_an_export_keeps_its_prices_after_list_prices_change(owner):
    saved = save(owner, "conference")
    before = owner.get(f"/s/{saved.share_key}/export.json").content
    change_default_voice_rate("0.0100")
    api = owner.post("/api/estimate", before, content_type="application/json").json()
    shared = owner.get(f"/s/{saved.share_key}/").content.decode()
    assert f"${Decimal(api['per_session']['total']):,f}" == total(shared, "session")


def test_import_of_a_bad_document_names_the_problems(owner):
    html = owner.post("/import/", {"text": '{"model": "nope"}'}).content.decode()
    assert "model: must be one of" in html
    html = owner.post("/import/", {"text": "{"}).content.decode()
    assert "not valid JSON" in html


def test_import_accepts_a_file(owner):
    upload = io.BytesIO(json.dumps(BY_SLUG["ivr-only"].document).encode())
    upload.name = "ivr.json"
    html = owner.post("/import/", {"file": upload}).content.decode()
    assert total(html, "session") == "$0.0120"


def test_csv_export_lists_every_line_and_the_totals(owner):
    saved = save(owner, "contact-centre")
    response = owner.get(f"/s/{saved.share_key}/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    meters = [r["meter"] for r in rows if r["period"] == "per month"]
    assert meters == ["voice_call_minutes", "recording_minutes", "monitoring_minutes", "total"]
    month = {r["meter"]: Decimal(r["amount"]) for r in rows if r["period"] == "per month"}
    assert month["total"] == sum(v for k, v in month.items() if k != "total")


def test_print_view_has_the_breakdown_without_the_editor(owner, stranger):
    saved = save(owner, "contact-centre")
    html = stranger.get(f"/s/{saved.share_key}/print/").content.decode()
    assert "Cost estimate" in html
    assert 'id="scenario"' not in html
    assert total(html, "month") == "$307.50"


def test_saving_a_scenario_with_problems_saves_nothing(owner):
    response = owner.post("/editor/", {**form_data(**{"p-1-leave": "0:10"}), "action": "save"})
    assert response.status_code == 200
    assert not SavedScenario.objects.exists()


def test_the_start_page_lists_this_browsers_saved_scenarios(owner, stranger):
    saved = save(owner)
    assert saved.title in owner.get("/").content.decode()
    assert saved.title not in stranger.get("/").content.decode()


def test_htmx_save_redirects_the_browser(owner):
    response = owner.post("/editor/", {**form_data(), "action": "save"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/s/")


def test_export_then_import_keeps_tiers_and_currency(owner):
    card = RateCardVersion.objects.create(slug="euro", name="Euro card", currency="EUR")
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.0050"))
    card.tiers.create(meter="voice_call_minutes", up_to=Decimal(1000), rate=Decimal("0.0050"))
    card.tiers.create(meter="voice_call_minutes", up_to=None, rate=Decimal("0.0010"))
    saved = save(owner, "conference", rate_card="euro")
    shared = owner.get(f"/s/{saved.share_key}/").content.decode()
    assert total(shared, "month").startswith("€")
    exported = owner.get(f"/s/{saved.share_key}/export.json").content.decode()
    assert '"currency": "EUR"' in exported
    imported = owner.post("/import/", {"text": exported}).content.decode()
    assert total(imported, "month") == total(shared, "month")
    # Saved again from the import, the tiers are still there.
    data = {**document_data(json.loads(exported), "default"), "action": "save"}
    again = save_from(owner, data)
    assert total(owner.get(f"/s/{again.share_key}/").content.decode(), "month") == total(
        shared, "month"
    )


def save_from(client, data) -> SavedScenario:
    response = client.post("/editor/", data)
    return SavedScenario.objects.get(share_key=response["Location"].split("/")[2])


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_of_one_revision_lose_nothing_and_corrupt_nothing(default_card_installed):
    import threading

    owner = Client()
    saved = save(owner)
    base = editor_data(owner, saved)
    session = owner.cookies
    outcomes = []

    def save_as(n):
        client = Client()
        client.cookies = session
        response = client.post(
            f"/s/{saved.share_key}/edit/", {**base, "name": f"Tab {n}", "action": "save"}
        )
        if response.status_code == 302:
            outcomes.append(("saved", n))
        elif "Not saved" in response.content.decode():
            outcomes.append(("refused", n))
        else:
            outcomes.append((response.status_code, n))

    threads = [threading.Thread(target=save_as, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for kind, n in outcomes if kind == "saved"]
    assert len(outcomes) == 8
    assert len(winners) == 1
    assert all(kind in ("saved", "refused", 503) for kind, _ in outcomes)
    saved.refresh_from_db()
    assert saved.revision == 2
    assert saved.name == f"Tab {winners[0]}"
    assert saved.document["name"] == f"Tab {winners[0]}"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_from_one_browser_all_stay_its_own(default_card_installed):
    import threading
    import time

    browser = Client()
    save(browser)  # the browser's owner secret is made on its first save
    session = browser.cookies
    keys = []

    def save_new():
        client = Client()
        client.cookies = session
        for _ in range(10):  # SQLite answers 503 while another thread writes; retry as told
            response = client.post("/editor/", {**form_data(), "action": "save"})
            if response.status_code != 503:
                break
            time.sleep(0.05)
        keys.append(response["Location"].split("/")[2])

    threads = [threading.Thread(target=save_new) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 6
    for key in keys:
        assert browser.get(f"/s/{key}/edit/").status_code == 200
    mine = browser.get("/mine/").content.decode()
    assert all(key in mine for key in keys)
    assert Client().get(f"/s/{keys[0]}/edit/").status_code == 403


def test_importing_an_estimate_says_what_import_takes(owner):
    """An estimate's Export JSON pasted into Import: a message saying what to do, not a list
    of fields unknown to a scenario."""
    from tests.calculator.editor.test_estimate import save_estimate

    saved = save_estimate(owner, name="Acme")
    exported = owner.get(f"/s/{saved.share_key}/export.json").content.decode()
    html = owner.post("/import/", {"text": exported}).content.decode()
    assert "This is an estimate document" in html
    assert "unknown field" not in html
