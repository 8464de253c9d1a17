from django.urls import path

from ltxdash.generations import views

app_name = "generations"
urlpatterns = [
    path("", views.create, name="create"),
    path("generations/refresh", views.refresh, name="refresh"),
    path("generations/<int:pk>/card", views.card, name="card"),
    path("generations/<int:pk>/cancel", views.cancel, name="cancel"),
    path("generations/<int:pk>/retry", views.retry, name="retry"),
]
