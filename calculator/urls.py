from django.contrib import admin
from django.urls import path, re_path

from calculator import api, views

urlpatterns = [
    path("", views.start, name="start"),
    path("healthz", views.health, name="health"),
    path("editor/", views.editor, name="editor"),
    path("compare/", views.compare, name="compare"),
    path("rules/", views.rules, name="rules"),
    path("api/estimate", api.estimate, name="api-estimate"),
    path("api/rate-cards", api.rate_cards, name="api-rate-cards"),
    re_path(r"^api/(?P<path>.*)$", api.not_found),
    path("admin/", admin.site.urls),
]
