from django.urls import path

from ltxdash.workspaces import views

app_name = "workspaces"
urlpatterns = [
    path("<slug:slug>/switch", views.switch, name="switch"),
]
