from django.urls import path

from ltxdash.boards import link_urls
from ltxdash.boards.views import boards

app_name = "boards"
urlpatterns = [
    path("", boards.index, name="index"),
    path("new", boards.create, name="create"),
    path("pick", boards.pick, name="pick"),
    path("<int:pk>/", boards.board, name="board"),
    path("<int:pk>/edit", boards.edit, name="edit"),
    path("<int:pk>/delete", boards.delete, name="delete"),
    path("<int:pk>/add", boards.add, name="add"),
    path("<int:pk>/remove", boards.remove, name="remove"),
    path("<int:pk>/move", boards.move, name="move"),
    path("<int:pk>/cover", boards.cover, name="cover"),
]
urlpatterns += link_urls.urlpatterns
