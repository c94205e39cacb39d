from django.urls import path

from videos import recorder_api

urlpatterns = [
    path("api/recorder/jobs", recorder_api.jobs, name="api_recorder_jobs"),
    path(
        "api/recorder/broadcasts/<int:broadcast_id>/state",
        recorder_api.report,
        name="api_recorder_report",
    ),
]
