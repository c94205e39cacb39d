from django.urls import path

from directory import views

urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/<slug:slug>/", views.category, name="directory_category"),
    path("tags/<str:name>/", views.tag, name="directory_tag"),
    path("u/<username:username>/listing/", views.dashboard_listing, name="dashboard_listing"),
]
