from django.urls import path

from emotes import dashboard

urlpatterns = [
    # The creator dashboard's Emotes page, named as its views like the dashboard's others.
    *[
        path(f"u/<username:username>/{route}", view, name=view.__name__)
        for route, view in [
            ("emotes/", dashboard.dashboard_emotes),
            ("emotes/add/", dashboard.dashboard_emotes_add),
            ("emotes/remove/", dashboard.dashboard_emotes_remove),
        ]
    ],
]
