"""Public board links, mounted at /b/ by ltxdash/urls.py. No login: the token is the permission."""

from django.urls import path

from ltxdash.boards.views import public

app_name = "public_board"
urlpatterns = [
    path("<str:token>/", public.page, name="page"),
    path("<str:token>/files/<int:pk>", public.file, name="file"),
    path("<str:token>/posters/<int:pk>", public.poster, name="poster"),
    path("<str:token>/download/<int:pk>", public.download, name="download"),
    path("<str:token>/clips.zip", public.archive, name="zip"),
]
