from django.contrib import admin
from django.urls import include, path

from ltxdash.core import views as core_views
from ltxdash.workspaces import views as workspace_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("ltxdash.core.auth")),
    path("admin/", admin.site.urls),
    path("gallery/", include("ltxdash.gallery.urls")),
    path("boards/", include("ltxdash.boards.urls")),
    path("workspaces/", include("ltxdash.workspaces.urls")),
    path("spend/", include("ltxdash.spend.urls")),
    path("invite/<str:token>", workspace_views.join, name="join"),  # no login: the token invites
    path("s/", include("ltxdash.gallery.share_urls")),  # public share links (no login)
    path("b/", include("ltxdash.boards.public_urls")),  # public board links (no login)
    path("", include("ltxdash.generations.urls")),
]

handler403 = "ltxdash.workspaces.views.forbidden"
