from django.urls import path

from ltxdash.generations import views

app_name = "generations"
urlpatterns = [
    path("", views.create, name="create"),
]
