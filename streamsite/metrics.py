"""GET /metrics for Prometheus, with the bearer token METRICS_TOKEN (no token set: 404).

Counted as it happens: requests by view, their time and the CPU they took (here, a
middleware), and what streams.metrics counts
(chat, webhooks, LiveKit calls). Read from the database when scraped: the live streams, and
the people watching the VIEWERS_LIMIT most recently started ones as the viewer-count pass last
stored them (streams.viewer_counts): a scrape never calls LiveKit; and the task queue (how
many tasks are ready to run and how long the oldest has waited), which tells whether the
worker keeps up.

Several gunicorn workers each count their own requests; with PROMETHEUS_MULTIPROC_DIR set
(an empty directory, emptied at every start) prometheus-client adds them up, whichever
worker answers the scrape. Without it a scrape shows one worker's counts.
"""

from __future__ import annotations

import functools
import hmac
import os
import time

from django.conf import settings
from django.db.models import Case, Count, Min, When
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_tasks import DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from streams.models import Stream

REQUESTS = Counter(
    "streamsite_http_requests",
    "HTTP requests answered, by method, view (URL name) and status.",
    ["method", "view", "status"],
)
REQUEST_SECONDS = Histogram(
    "streamsite_http_request_duration_seconds",
    "Time to answer HTTP requests, by method and view (URL name).",
    ["method", "view"],
)
REQUEST_CPU_SECONDS = Counter(
    "streamsite_http_request_cpu_seconds",
    "CPU time (user and system, of the whole process) spent answering HTTP requests, by "
    "method and view (URL name); divided by streamsite_http_requests_total, the CPU one "
    "request of a view costs.",
    ["method", "view"],
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

VIEWERS_LIMIT = 100


def request_metrics(get_response):
    """Middleware, first in the list, so that every answer counts (redirects, static files)."""

    def count(request: HttpRequest) -> HttpResponse:
        started, cpu = time.perf_counter(), time.process_time()
        response = get_response(request)
        method = request.method if request.method in METHODS else "other"
        view = _view(request)
        _timer(method, view).observe(time.perf_counter() - started)
        _cpu(method, view).inc(time.process_time() - cpu)
        _counter(method, view, response.status_code).inc()
        return response

    return count


# Each series is looked up once per process (there are as many as views, methods and statuses
# used): `labels()` checks and joins its values on every call, a fair part of what counting
# would otherwise cost a request.
@functools.cache
def _timer(method: str, view: str) -> Histogram:
    return REQUEST_SECONDS.labels(method, view)


@functools.cache
def _cpu(method: str, view: str) -> Counter:
    return REQUEST_CPU_SECONDS.labels(method, view)


@functools.cache
def _counter(method: str, view: str, status: int) -> Counter:
    return REQUESTS.labels(method, view, str(status))


def _view(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
        return "static"
    return "unresolved"  # not a URL of the site: one label for all, whatever the path


class LiveStreams:
    """The live streams and their viewers, read when Prometheus scrapes: two queries."""

    def describe(self):
        return [self._live(), self._viewers()]  # (no reading at registration)

    def collect(self):
        live = Stream.objects.filter(is_live=True)
        yield self._live(live.count())
        newest = live.order_by("-live_changed_at", "-pk")
        viewers = self._viewers()
        for username, count in newest.values_list("user__username", "viewer_count")[:VIEWERS_LIMIT]:
            viewers.add_metric([username], count)
        yield viewers

    def _live(self, value: float = 0) -> GaugeMetricFamily:
        return GaugeMetricFamily("streamsite_live_streams", "Streams live now.", value=value)

    def _viewers(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "streamsite_stream_viewers",
            f"People watching each of the {VIEWERS_LIMIT} most recently started live streams, "
            "as the viewer-count pass last counted them (count_viewers).",
            labels=["channel"],
        )


class TaskQueue:
    """The worker's backlog, read when Prometheus scrapes (one query): per queue, the tasks
    ready to run now and how long the oldest of them has waited since it could have run.
    A queue with nothing ready reads 0; the default queue is always there, so an alert on
    it has a series even when the queue has always been empty."""

    def describe(self):
        return list(self._families())

    def collect(self):
        ready, oldest = self._families()
        now = timezone.now()
        # A task runs once enqueued, or once its run_after has passed when it has one.
        since = Case(When(run_after=get_date_max(), then="enqueued_at"), default="run_after")
        rows = {
            row["queue_name"]: row
            for row in DBTaskResult.objects.ready()
            .values("queue_name")
            .annotate(tasks=Count("pk"), since=Min(since))
            .order_by()
        }
        for queue in sorted({DEFAULT_TASK_QUEUE_NAME, *rows}):
            row = rows.get(queue)
            ready.add_metric([queue], row["tasks"] if row else 0)
            age = (now - row["since"]).total_seconds() if row else 0
            oldest.add_metric([queue], max(age, 0))
        yield ready
        yield oldest

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "streamsite_tasks_ready",
                "Tasks ready to run now (go-live notifications, raids, recordings), by queue.",
                labels=["queue"],
            ),
            GaugeMetricFamily(
                "streamsite_tasks_oldest_ready_seconds",
                "How long the oldest task ready to run has waited for a worker, by queue "
                "(0 when none waits).",
                labels=["queue"],
            ),
        )


def _register_read_at_scrape(registry: CollectorRegistry) -> None:
    registry.register(LiveStreams())
    registry.register(TaskQueue())


_register_read_at_scrape(REGISTRY)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected):
        return HttpResponse("A valid bearer token is needed.\n", status=403)
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    # Every worker's counts, from the files they keep there; the live figures read here.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    _register_read_at_scrape(registry)
    return registry
