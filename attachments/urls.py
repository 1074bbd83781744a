from django.urls import path

from attachments import views

app_name = "attachments"

urlpatterns = [
    path("<slug:slug>/attachments/", views.attachment_upload_view, name="upload"),
    # The thumbnail's path ends with a slash, a file's never does (names have none).
    path(
        "<slug:slug>/attachments/<int:attachment_id>/thumbnail/",
        views.attachment_thumbnail_view,
        name="thumbnail",
    ),
    path(
        "<slug:slug>/attachments/<int:attachment_id>/<str:name>",
        views.attachment_file_view,
        name="file",
    ),
]
