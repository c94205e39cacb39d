from django.urls import path

from videos import recorder_api, views

urlpatterns = [
    path("api/recorder/jobs", recorder_api.jobs, name="api_recorder_jobs"),
    path(
        "api/recorder/broadcasts/<int:broadcast_id>/state",
        recorder_api.report,
        name="api_recorder_report",
    ),
    path("videos/<int:broadcast_id>/", views.video, name="video"),
    path("api/videos/<int:broadcast_id>/chat", views.video_chat, name="api_video_chat"),
]
