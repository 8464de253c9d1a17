"""Public share URLs, mounted at /s/ by ltxdash/urls.py. No login: the token is the permission."""

from django.urls import path

from ltxdash.gallery.views import share

app_name = "share"
urlpatterns = [
    path("<str:token>", share.page, name="page"),
    path("<str:token>/video", share.video, name="video"),
    path("<str:token>/poster", share.poster, name="poster"),
]
