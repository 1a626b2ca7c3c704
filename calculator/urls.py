from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from calculator import api, estimates, sharing, views
from calculator.signin import ThrottledAdminSignIn, ThrottledSignIn, answers_429_when_throttled

admin.site.login_form = ThrottledAdminSignIn
sign_in = auth_views.LoginView.as_view(authentication_form=ThrottledSignIn)

urlpatterns = [
    path("", views.start, name="start"),
    path("healthz", views.health, name="health"),
    path("csrf-token", views.csrf_token, name="csrf-token"),
    path("editor/", views.editor, name="editor"),
    path("compare/", views.compare, name="compare"),
    path("compare/saved/", sharing.compare_saved, name="compare-saved"),
    path("rules/", views.rules, name="rules"),
    path("import/", sharing.import_view, name="import"),
    path("estimates/new/", estimates.new, name="estimate-new"),
    path("mine/", sharing.mine, name="mine"),
    path("s/<str:share_key>/", sharing.share, name="saved-share"),
    path("s/<str:share_key>/edit/", sharing.edit, name="saved-edit"),
    path("s/<str:share_key>/edit/<str:token>/", sharing.claim, name="saved-claim"),
    path("s/<str:share_key>/copy/", sharing.copy, name="saved-copy"),
    path("s/<str:share_key>/rename/", sharing.rename, name="saved-rename"),
    path("s/<str:share_key>/delete/", sharing.delete, name="saved-delete"),
    path("s/<str:share_key>/reprice/", sharing.reprice, name="saved-reprice"),
    path("s/<str:share_key>/export.json", sharing.export_json, name="saved-json"),
    path("s/<str:share_key>/export.csv", sharing.export_csv, name="saved-csv"),
    path("s/<str:share_key>/print/", sharing.print_view, name="saved-print"),
    path("accounts/login/", answers_429_when_throttled(sign_in), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/estimate", api.estimate, name="api-estimate"),
    path("api/rate-cards", api.rate_cards, name="api-rate-cards"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
    re_path(r"^api/(?P<path>.*)$", api.not_found),
    path("admin/login/", answers_429_when_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
]

handler404 = "calculator.middleware.not_found"
handler500 = "calculator.middleware.server_error"
