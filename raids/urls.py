from django.urls import path

from raids import views

urlpatterns = [
    path("api/raids/<uuid:host_id>/targets", views.targets, name="api_raid_targets"),
    path("api/raids/<uuid:host_id>/start", views.start, name="api_raid_start"),
    path("api/raids/<uuid:host_id>/<int:raid_id>/cancel", views.cancel, name="api_raid_cancel"),
    path("api/raids/<int:raid_id>/arrive", views.arrive, name="api_raid_arrive"),
    path("u/<username:username>/raids/", views.dashboard_raids, name="dashboard_raids"),
]
