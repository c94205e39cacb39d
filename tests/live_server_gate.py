"""Between tests the live server is closed: a request it gets then (LiveKit's webhook of a
participant leaving as the test's clients disconnect, a browser's last poll) is answered 503
before it touches the database, which is being flushed for the next test. LiveKit retries a
webhook that failed; nothing else is waiting for the answer. It stays closed until the next
test that uses the live server opens it. Only the live server's threads are turned away: a
test's own client requests run on the main thread."""

from __future__ import annotations

import threading

from django.http import HttpResponse

closed = threading.Event()


class LiveServerGate:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if closed.is_set() and threading.current_thread() is not threading.main_thread():
            return HttpResponse("The test this server ran for has ended.", status=503)
        return self.get_response(request)
