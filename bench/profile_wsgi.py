"""The site's WSGI application as bench/profile.py serves it with gunicorn (one sync worker):
requests carrying `X-Bench: time <label>` are timed, those carrying `X-Bench: profile <label>`
are profiled with pyinstrument, and `GET /__bench__/results` answers what was gathered as
JSON. Any other request goes to the site untouched. Used by the bench only.

Times are taken around the whole WSGI call, the response's body read and closed (Django's
request_finished runs then): wall time (perf_counter) and CPU time of the worker process
(process_time: the LiveKit facade's event-loop thread included). For a chat POST the moment
LiveKit's SendData is called is noted too: the Django part is everything before it.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

from pyinstrument import Profiler
from pyinstrument.session import Session

from streamsite.wsgi import application as site

RESULTS_PATH = "/__bench__/results"
INTERVAL = 0.0002  # seconds between pyinstrument's samples

times: dict[str, list[dict[str, float]]] = defaultdict(list)
sessions: dict[str, Session] = {}
_send_data_at: list[tuple[float, float]] = []  # (wall, cpu) of SendData calls this request


def _note_send_data() -> None:
    """Wrap the facade's send_data so that the moment it is called is noted."""
    from streams import livekit

    send_data = livekit.send_data

    def noted(*args, **kwargs):
        _send_data_at.append((time.perf_counter(), time.process_time()))
        return send_data(*args, **kwargs)

    livekit.send_data = noted


_note_send_data()


def _call(environ, start_response) -> list[bytes]:
    result = site(environ, start_response)
    try:
        return list(result)
    finally:
        if hasattr(result, "close"):
            result.close()


def application(environ, start_response):
    if environ.get("PATH_INFO") == RESULTS_PATH:
        return _results(start_response)
    mode, _, label = environ.get("HTTP_X_BENCH", "").partition(" ")
    if mode == "time":
        _send_data_at.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        body = _call(environ, start_response)
        figures = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        if _send_data_at:
            figures["wall_before_send"] = _send_data_at[0][0] - wall
            figures["cpu_before_send"] = _send_data_at[0][1] - cpu
        times[label].append(figures)
        return body
    if mode == "profile":
        profiler = Profiler(interval=INTERVAL, async_mode="disabled")
        profiler.start()
        try:
            return _call(environ, start_response)
        finally:
            session = profiler.stop()
            known = sessions.get(label)
            sessions[label] = session if known is None else Session.combine(known, session)
    return site(environ, start_response)


def _results(start_response) -> list[bytes]:
    answer = {
        "times": times,
        "profiles": {label: session.to_json() for label, session in sessions.items()},
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]
