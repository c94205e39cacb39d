"""The directory pages (categories, a category's channels, a tag's channels) and the
dashboard form that puts a stream in them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from directory import selectors, services
from directory.forms import ListingForm
from directory.models import Category, Tag
from streams import dashboard

PAGE_SIZE = 24


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    summaries = selectors.categories_by_viewers(request.user)
    return render(request, "directory/directory.html", {"summaries": summaries})


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    page = Paginator(selectors.category_streams(request.user, category), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "directory/category.html", {"category": category, "page": page})


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    tag = Tag.objects.named(name).first()
    if tag is None:
        raise Http404("No such tag.")
    page = Paginator(selectors.tag_streams(request.user, tag), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "directory/tag.html", {"tag": tag, "page": page})


@login_required
@dashboard.posted_to("dashboard_stream")
def dashboard_listing(request: HttpRequest, username: str) -> HttpResponse:
    stream = dashboard.own_stream_or_404(request, username)
    form = ListingForm(request.POST, prefix="listing")
    if not form.is_valid():
        return dashboard.render_stream_page(request, stream, {"listing_form": form}, status=400)
    services.listing_update(
        stream=stream,
        category=form.cleaned_data["category"],
        tag_names=form.cleaned_data["tags"],
    )
    messages.success(request, "Category and tags saved.")
    return redirect("dashboard_stream", username=stream.user.username)
