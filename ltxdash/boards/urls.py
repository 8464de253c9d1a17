"""The boards' URLs, mounted at /boards/ by ltxdash/urls.py."""

from ltxdash.boards import link_urls

app_name = "boards"
urlpatterns = [*link_urls.urlpatterns]
