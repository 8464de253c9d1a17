from django.urls import path

from ltxdash.spend.views import approvals, budget, usage

app_name = "spend"
urlpatterns = [
    path("usage/", usage.page, name="usage"),
    path("usage/ledger.csv", usage.ledger_csv, name="usage_csv"),
    path("budget/", budget.budget, name="budget"),
    path("budget/members/<int:pk>/cap", budget.member_cap, name="member_cap"),
    path("approvals/", approvals.index, name="approvals"),
    path("approvals/<int:pk>/approve", approvals.decide, {"verdict": "approve"}, name="approve"),
    path("approvals/<int:pk>/decline", approvals.decide, {"verdict": "decline"}, name="decline"),
]
