from django.urls import path

from ltxdash.workspaces import views

app_name = "workspaces"
urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/<int:pk>/role", views.change_role, name="change_role"),
    path("members/<int:pk>/remove", views.remove_member, name="remove_member"),
    path("key/", views.api_key, name="api_key"),
    path("key/stop", views.stop_api_key, name="stop_api_key"),
    path("invitations/", views.invite, name="invite"),
    path("invitations/<int:pk>/revoke", views.revoke_invitation, name="revoke_invitation"),
    path("<slug:slug>/switch", views.switch, name="switch"),
]
