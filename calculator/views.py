from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.models import RateCardVersion


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    cards = RateCardVersion.objects.in_effect()
    return render(request, "home.html", {"cards": cards})
