"""The operators' files in deploy/: Prometheus's alerting rules (checked and unit-tested with
promtool) and the Grafana dashboard, both over the metrics a real /metrics scrape shows, so
that neither can drift from what the site exposes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from devservers.servers import ROOT
from raids.tasks import send_raid
from streams import livekit
from streams.models import Stream
from tests.conftest import need
from tests.test_metrics_view import TOKEN, scrape, value
from tests.test_webhook_view import event, post, sign

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERTS_TEST = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "streamsite.json"

# Labels Prometheus adds to every series it scrapes; `up` is its own series of each scrape.
SCRAPE_LABELS = {"job", "instance"}
SITE_METRIC = re.compile(r"\bstreamsite_[a-z0-9_]+\b")
SELECTOR = re.compile(r"\b(streamsite_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# Grafana's variables, as Prometheus sees them once Grafana has put in their values.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$job": "streamsite", "$instance": ".*"}


def promtool(*arguments: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    need(shutil.which("promtool") is not None, "promtool", install="scripts/system-deps.sh")
    return subprocess.run(
        ["promtool", *map(str, arguments)], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def alert_expressions() -> dict[str, str]:
    """Each alert's expression, read from alerts.yml: a one-line `expr:` or a `expr: |` block."""
    found, lines = {}, ALERTS.read_text().splitlines()
    for number, line in enumerate(lines):
        if match := re.match(r"\s*- alert: (\w+)$", line):
            name = match.group(1)
        elif match := re.match(r"(\s*)expr: (.*)$", line):
            if match.group(2).strip() != "|":
                found[name] = match.group(2)
                continue
            indent, block = len(match.group(1)), []
            for following in lines[number + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                block.append(following.strip())
            found[name] = " ".join(block).strip()
    assert len(found) == ALERTS.read_text().count("- alert: "), "an alert without expr"
    return found


def dashboard_expressions() -> list[str]:
    """Every PromQL query of the dashboard: its panels' targets and its variables' queries."""
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    variables = [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return queries + variables


def test_the_alerting_rules_are_valid():
    checked = promtool("check", "rules", ALERTS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alert_expressions())} rules found" in checked.stdout


def test_each_alert_fires_on_what_should_wake_someone_and_stays_quiet_otherwise():
    tested = promtool("test", "rules", ALERTS_TEST)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not():
    firing, quiet = set(), set()
    for case in ALERTS_TEST.read_text().split("- eval_time:")[1:]:
        alert = re.search(r"alertname: (\w+)", case).group(1)
        (quiet if "exp_alerts: []" in case else firing).add(alert)
    assert firing == quiet == set(alert_expressions())


def test_every_alert_pages_and_says_what_to_do():
    text = ALERTS.read_text()
    for alert in alert_expressions():
        rule = text.split(f"- alert: {alert}\n")[1].split("- alert:")[0]
        assert re.search(r"^\s+for: \d+m$", rule, re.M), alert
        assert "severity: page" in rule, alert
        assert "summary:" in rule and "description:" in rule, alert


def test_the_dashboard_queries_are_valid_promql(tmp_path):
    """promtool parses each query as a recording rule, with Grafana's variables filled in."""
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for number, expr in enumerate(dashboard_expressions()):
        if expr.startswith("label_values("):  # Grafana's, not PromQL: check its selector
            expr = re.fullmatch(r"label_values\((.*), \w+\)", expr).group(1)
        for variable, filled_in in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, filled_in)
        assert "$" not in expr, expr
        rules += [f"      - record: dashboard:query_{number}", f"        expr: {json.dumps(expr)}"]
    (tmp_path / "dashboard.yml").write_text("\n".join(rules) + "\n")
    checked = promtool("check", "rules", "dashboard.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_dashboard_panel_reads_the_prometheus_chosen_at_the_top():
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    chosen = {"type": "prometheus", "uid": "${datasource}"}
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    for panel in panels:
        assert panel["datasource"] == chosen, panel["title"]
        assert panel["targets"] and all(t["datasource"] == chosen for t in panel["targets"])
        assert panel["description"], panel["title"]
        place = panel["gridPos"]
        assert place["x"] + place["w"] <= 24, panel["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


@pytest.fixture
def traffic(settings, alice, bob, bob_client, carol_client):
    """A little of everything the site counts: pages, chat accepted and refused, webhooks
    good and badly signed, a LiveKit call that finds nobody, a task waiting, a live stream."""
    settings.METRICS_TOKEN = TOKEN
    Stream.objects.filter(user=alice).update(is_live=True, viewer_count=2, ingress_id="IN_alice")
    guest = Client()
    for path in ["/", "/alice/", "/nobody-here/", "/static/missing.css"]:
        guest.get(path)
    chat = f"/api/stream/{alice.pk}/chat"
    assert bob_client.post(chat, {"message": "hi"}).status_code == 201
    assert carol_client.post(chat, {"message": "let me in"}).status_code == 403
    started = event("ingress_started", "EV_ops", ingressInfo={"ingressId": "IN_alice"})
    post(started, sign(started))
    post(started, "not-a-signature")
    with pytest.raises(livekit.LiveKitError):
        livekit.ping()  # nothing listens where the test settings point
    send_raid.enqueue(1)
    return scrape()


def test_every_metric_the_dashboard_and_alerts_use_is_in_a_real_scrape(traffic):
    """Names, the labels they are selected and grouped by, and the label values they select."""
    labels: dict[str, dict[str, set[str]]] = {}
    for name, pairs in traffic:
        for label, seen in pairs:
            labels.setdefault(name, {}).setdefault(label, set()).add(seen)
        labels.setdefault(name, {})
    for expr in [*alert_expressions().values(), *dashboard_expressions()]:
        used = set(SITE_METRIC.findall(expr))
        assert used <= set(labels), f"{sorted(used - set(labels))} in {expr}"
        for name, matchers in SELECTOR.findall(expr):
            for label, operator, wanted in MATCHER.findall(matchers):
                if label in SCRAPE_LABELS:
                    continue
                assert label in labels[name], f"{name} has no label {label}: {expr}"
                if operator == "=" and not wanted.startswith("$"):
                    assert wanted in labels[name][label], f"{name}{{{label}={wanted!r}}}: {expr}"
        known = set().union(*(labels[name] for name in used)) | SCRAPE_LABELS
        for grouping in GROUPING.findall(expr):
            for label in filter(None, (part.strip() for part in grouping.split(","))):
                assert label in known, f"no metric of {expr} has the label {label}"


def test_the_dashboard_shows_every_metric_the_site_exposes(traffic):
    def family(name: str) -> str:  # a histogram is shown through its buckets or its count
        return re.sub(r"_(bucket|count|sum)$", "", name)

    exposed = {
        family(name)
        for name, _labels in traffic
        if name.startswith("streamsite_") and not name.endswith("_created")  # (timestamps)
    }
    shown = {family(name) for expr in dashboard_expressions() for name in SITE_METRIC.findall(expr)}
    assert exposed <= shown, sorted(exposed - shown)


def test_the_sync_loop_counts_livekit_unreachable_even_when_nobody_is_on_the_site(
    db, settings, tmp_path, monkeypatch
):
    """With PROMETHEUS_MULTIPROC_DIR shared by every process (README, "Monitoring"), the
    `sync` pass's own LiveKit calls reach the scrape: StreamsiteLiveKitUnreachable has calls
    to judge at night too."""
    settings.METRICS_TOKEN = TOKEN
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    env["LIVEKIT_URL"] = settings.LIVEKIT_URL  # where nothing listens
    sync = subprocess.run(
        [sys.executable, "manage.py", "sync_live_status"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not reachable" in sync.stdout + sync.stderr
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    call = "list stream connections"
    errors = {"call": call, "reason": "unreachable"}
    assert value(samples, "streamsite_livekit_call_errors_total", **errors) == 1
    assert value(samples, "streamsite_livekit_call_duration_seconds_count", call=call) == 1
