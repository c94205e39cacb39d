from django.urls import path

from analytics import broadcast_page

urlpatterns = [
    path(
        "u/<username:username>/analytics/<int:broadcast_id>/",
        broadcast_page.analytics_broadcast,
        name="analytics_broadcast",
    ),
]
