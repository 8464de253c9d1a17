from django.urls import path

from ltxdash.spend.views import usage

app_name = "spend"
urlpatterns = [
    path("usage/", usage.page, name="usage"),
    path("usage/ledger.csv", usage.ledger_csv, name="usage_csv"),
]
