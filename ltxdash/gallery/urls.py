from django.urls import path

from ltxdash.gallery.views import bulk, clip, export, gallery, outputs, share

app_name = "gallery"
urlpatterns = [
    path("", gallery.index, name="index"),
    path("selection", bulk.bulk, name="bulk"),
    path("selection/count", bulk.count, name="selection_count"),
    # Many clips at once: the filtered list as CSV (GET), chosen clips as a ZIP (POST).
    path("export.csv", export.export_csv, name="export_csv"),
    path("export.zip", export.export_zip, name="export_zip"),
    path("<int:pk>/", clip.clip, name="clip"),
    path("<int:pk>/favourite", clip.favourite, name="favourite"),
    path("<int:pk>/rename", clip.rename, name="rename"),
    path("<int:pk>/delete", clip.delete, name="delete"),
    path("<int:pk>/share", share.create, name="share_create"),
    path("shares/<int:pk>/revoke", share.revoke, name="share_revoke"),
    # Files by the Output's pk; every one checks that the clip is the requester's.
    path("files/<int:pk>", outputs.output_file, name="file"),
    path("files/<int:pk>/poster", outputs.poster, name="poster"),
    path("files/<int:pk>/download", outputs.download, name="download"),
]
