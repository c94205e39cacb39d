from django.urls import path

from analytics import broadcast_page, views

urlpatterns = [
    # The creator dashboard's Analytics page, named as its views like the dashboard's others.
    path("u/<username:username>/analytics/", views.dashboard_analytics, name="dashboard_analytics"),
    path(
        "u/<username:username>/analytics.csv",
        views.dashboard_analytics_csv,
        name="dashboard_analytics_csv",
    ),
    path(
        "u/<username:username>/analytics/<int:broadcast_id>/",
        broadcast_page.analytics_broadcast,
        name="analytics_broadcast",
    ),
]
