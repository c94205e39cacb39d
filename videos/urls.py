from django.urls import path

from videos import dashboard, recorder_api, views

urlpatterns = [
    path("api/recorder/jobs", recorder_api.jobs, name="api_recorder_jobs"),
    path(
        "api/recorder/broadcasts/<int:broadcast_id>/state",
        recorder_api.report,
        name="api_recorder_report",
    ),
    path("videos/<int:broadcast_id>/", views.video, name="video"),
    path("api/videos/<int:broadcast_id>/chat", views.video_chat, name="api_video_chat"),
    # The creator dashboard's Videos page, named as its views like the dashboard's others.
    *[
        path(f"u/<username:username>/{route}", view, name=view.__name__)
        for route, view in [
            ("videos/", dashboard.dashboard_videos),
            ("videos/settings/", dashboard.dashboard_videos_settings),
            ("videos/delete/", dashboard.dashboard_videos_delete),
        ]
    ],
]
