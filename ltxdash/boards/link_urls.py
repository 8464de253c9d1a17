"""A board's public links, made and revoked by those who may manage the board. Added to the
``boards`` namespace by ltxdash/boards/urls.py (``urlpatterns += link_urls.urlpatterns``)."""

from django.urls import path

from ltxdash.boards.views import links

urlpatterns = [
    path("<int:pk>/links", links.create, name="link_create"),
    path("links/<int:pk>/revoke", links.revoke, name="link_revoke"),
]
