from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from calculator import pages
from calculator.api import views as api
from calculator.saved import compare, exports, usage
from calculator.saved import views as saved
from calculator.server.signin import (
    ThrottledAdminSignIn,
    ThrottledSignIn,
    answers_429_when_throttled,
)

admin.site.login_form = ThrottledAdminSignIn
sign_in = auth_views.LoginView.as_view(authentication_form=ThrottledSignIn)

urlpatterns = [
    path("", pages.start, name="start"),
    path("healthz", pages.health, name="health"),
    path("favicon.ico", pages.favicon),
    path("csrf-token", pages.csrf_token, name="csrf-token"),
    path("editor/", pages.editor, name="editor"),
    path("compare/", pages.compare, name="compare"),
    path("compare/saved/", compare.compare_saved, name="compare-saved"),
    path("rules/", pages.rules, name="rules"),
    path("import/", saved.import_view, name="import"),
    path("usage/", usage.usage_page, name="usage"),
    path("u/<str:share_key>/", usage.report_page, name="usage-report"),
    path("u/<str:share_key>/sessions.csv", usage.report_csv, name="usage-csv"),
    path("u/<str:share_key>/session/<int:number>/", usage.open_session, name="usage-session"),
    path("u/<str:share_key>/rename/", usage.rename_report, name="usage-rename"),
    path("u/<str:share_key>/copy/", usage.copy_report, name="usage-copy"),
    path("u/<str:share_key>/delete/", usage.delete_report, name="usage-delete"),
    path("estimates/new/", pages.new_estimate, name="estimate-new"),
    path("mine/", saved.mine, name="mine"),
    path("s/<str:share_key>/", saved.share, name="saved-share"),
    path("s/<str:share_key>/edit/", saved.edit, name="saved-edit"),
    path("s/<str:share_key>/edit/<str:token>/", saved.claim, name="saved-claim"),
    path("s/<str:share_key>/copy/", saved.copy, name="saved-copy"),
    path("s/<str:share_key>/rename/", saved.rename, name="saved-rename"),
    path("s/<str:share_key>/delete/", saved.delete, name="saved-delete"),
    path("s/<str:share_key>/reprice/", saved.reprice, name="saved-reprice"),
    path("s/<str:share_key>/export.json", exports.export_json, name="saved-json"),
    path("s/<str:share_key>/export.csv", exports.export_csv, name="saved-csv"),
    path("s/<str:share_key>/print/", exports.print_view, name="saved-print"),
    path("accounts/login/", answers_429_when_throttled(sign_in), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/estimate", api.estimate, name="api-estimate"),
    path("api/rate-cards", api.rate_cards, name="api-rate-cards"),
    path("api/usage", api.usage, name="api-usage"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
    re_path(r"^api/(?P<path>.*)$", api.not_found),
    path("admin/login/", answers_429_when_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
]

handler404 = "calculator.server.middleware.not_found"
handler500 = "calculator.server.middleware.server_error"
