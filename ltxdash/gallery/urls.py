from django.urls import path

from ltxdash.gallery import views

app_name = "gallery"
urlpatterns = [
    path("", views.index, name="index"),
]
