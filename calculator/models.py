"""Saved scenarios: shared by an unguessable link, changed only by their owner, and priced with
the rate card they were saved with until the owner reprices them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from billing.engine import (
    Estimate,
    RateCard,
    Scenario,
    ScenarioError,
    parse_estimate,
    parse_scenario,
    read_snapshot,
)
from billing.engine.jsonio import dumps
from billing.engine.reader import MAX_NAME_LENGTH, type_name
from billing.service import load_json


def new_share_key() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SavedScenarioQuerySet(models.QuerySet["SavedScenario"]):
    def owned_by(
        self, user_id: int | None, session_ids: list[int], browser_hash: str = ""
    ) -> SavedScenarioQuerySet:
        owned = models.Q(pk__in=session_ids, owner__isnull=True)
        if browser_hash:
            owned |= models.Q(browser_key_hash=browser_hash, owner__isnull=True)
        if user_id is not None:
            owned |= models.Q(owner_id=user_id)
        return self.filter(owned).order_by("-updated_at")


class SavedScenario(models.Model):
    """A saved scenario or estimate (`kind`): both are saved, shared and pinned alike."""

    SCENARIO, ESTIMATE = "scenario", "estimate"
    kind = models.CharField(
        max_length=10, choices=[(SCENARIO, "Scenario"), (ESTIMATE, "Estimate")], default=SCENARIO
    )
    share_key = models.CharField(max_length=32, unique=True, default=new_share_key, editable=False)
    # Only a hash of the private edit token is kept: the database alone cannot edit anything.
    edit_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The browser that saved it without an account: a hash of a secret kept in its session.
    # One secret a browser, set once, so saves made at the same moment cannot lose each other.
    browser_key_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scenarios",
    )
    name = models.CharField(max_length=MAX_NAME_LENGTH, blank=True)
    # The scenario document as exact JSON text (times and rates are decimals, never floats).
    document_json = models.TextField()
    # The stored rate card the quote was priced with, as it was then (billing card_snapshot).
    card = models.JSONField()
    # What it prices to a month, by meter, and the revision it is of (calculator/saved/priced.py):
    # the comparison of saved items reads it instead of pricing each again.
    summary = models.JSONField(null=True, blank=True, editable=False)
    # Bumped by every change; a save that names an older revision is refused (no lost updates).
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.name or f"Scenario {self.share_key[:6]}"

    @property
    def title(self) -> str:
        return self.name or f"Untitled {self.kind}"

    @property
    def is_estimate(self) -> bool:
        return self.kind == self.ESTIMATE

    @property
    def document(self) -> dict[str, Any]:
        """The saved document, read as every document is (load_json); ScenarioError if it no
        longer reads (calculator/saved/access.py: `unpriceable`)."""
        value = load_json(self.document_json)
        if not isinstance(value, dict):
            raise ScenarioError.single("", f"must be an object, not {type_name(value)}")
        return value

    @document.setter
    def document(self, value: dict[str, Any]) -> None:
        self.document_json = dumps(value)

    @cached_property
    def parsed(self) -> Scenario | Estimate:
        """The saved document as the engine reads it (ScenarioError if it no longer reads),
        read once for the request however many times a page asks."""
        document = self.document
        return parse_estimate(document) if self.is_estimate else parse_scenario(document)

    @property
    def pinned_card(self) -> RateCard:
        """The card it was saved with, read as it was stored: limits changed since do not
        stop it opening (read_snapshot)."""
        return read_snapshot(self.card)

    # -- Changes: each writes the next revision over the one it was made from, or nothing -----

    def save_over(
        self, revision: int | None, document: dict[str, Any], card: dict[str, Any], summary: Any
    ) -> bool:
        """The document and the card it is priced with, saved over `revision`."""
        return self._next_revision(
            revision,
            name=str(document.get("name") or ""),
            document_json=dumps(document),
            card=card,
            summary=summary,
        )

    def rename(self, name: str, summary: Any) -> bool:
        """A new name, over the revision this row was read at (its prices are unchanged:
        `summary` is the current one, carried)."""
        document = self.document
        document["name"] = name
        return self._next_revision(
            self.revision, name=name, document_json=dumps(document), summary=summary
        )

    def repin(self, card: dict[str, Any], summary: Any) -> bool:
        """Priced with another card from now on, over the revision this row was read at."""
        return self._next_revision(self.revision, card=card, summary=summary)

    def _next_revision(self, revision: int | None, **fields: Any) -> bool:
        """Write `fields` as the next revision if the stored one is still `revision`: a change
        made meanwhile (another tab, another person) is never undone. False if it was (or if
        the form named no revision)."""
        if revision is None:
            return False
        return bool(
            SavedScenario.objects.filter(pk=self.pk, revision=revision).update(
                revision=models.F("revision") + 1, updated_at=timezone.now(), **fields
            )
        )

    def issue_edit_token(self) -> str:
        """A new private edit token; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        self.edit_key_hash = hash_token(token)
        return token

    def edit_token_matches(self, token: str) -> bool:
        return bool(self.edit_key_hash) and hmac.compare_digest(
            self.edit_key_hash, hash_token(token)
        )


class DeletedShare(models.Model):
    """A share link whose scenario or estimate its owner deleted: it answers "gone" (410),
    not "never existed" (404). Only a hash of the link's key is kept."""

    key_hash = models.CharField(max_length=64, unique=True)
    deleted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Deleted share {self.key_hash[:8]}… ({self.deleted_at:%Y-%m-%d})"

    @classmethod
    def remember(cls, share_key: str) -> None:
        cls.objects.get_or_create(key_hash=hash_token(share_key))

    @classmethod
    def was_deleted(cls, share_key: str) -> bool:
        return cls.objects.filter(key_hash=hash_token(share_key)).exists()


class UsageReportQuerySet(models.QuerySet["UsageReport"]):
    def owned_by(self, user_id: int | None, browser_hash: str) -> UsageReportQuerySet:
        owned = models.Q(pk__in=[])
        if browser_hash:
            owned |= models.Q(browser_key_hash=browser_hash, owner__isnull=True)
        if user_id is not None:
            owned |= models.Q(owner_id=user_id)
        return self.filter(owned).order_by("-created_at")


class UsageReport(models.Model):
    """A priced usage file, shared by an unguessable link: its aggregates only (the month's
    bill, every model's total, costs, days, the most expensive sessions:
    billing/engine/report.py) and the rate card it was priced with. The call records
    themselves, which hold phone numbers and names, are never stored."""

    share_key = models.CharField(max_length=32, unique=True, default=new_share_key, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="usage_reports",
    )
    browser_key_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # The file's name as uploaded.
    name = models.CharField(max_length=MAX_NAME_LENGTH, blank=True)
    model = models.CharField(max_length=40)
    # What the page was asked (model, card, columns named otherwise): "Price another file"
    # asks it again.
    options = models.JSONField(default=dict)
    card = models.JSONField()
    report = models.JSONField()
    # The cost of each session alone, as gzipped CSV (one row a session).
    sessions_csv = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UsageReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or f"Usage report {self.share_key[:6]}"

    @property
    def title(self) -> str:
        return self.name or "Untitled usage report"
