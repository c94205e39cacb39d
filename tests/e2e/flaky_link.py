"""A TCP relay in front of livekit-server's signal port that a test can cut like a network
blip: open connections are reset and new ones refused until the link is restored."""

from __future__ import annotations

import selectors
import socket
import socketserver
import struct
import threading

from devservers.servers import free_port


class FlakyLink:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def restore(self) -> FlakyLink:
        link = self

        class Relay(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                link._relay(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Relay)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def cut(self) -> None:
        """Refuse new connections and reset the open ones, as a dropped network does."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for sock in self._open:
                # SO_LINGER 0: close() sends a reset instead of an orderly goodbye
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            self._open.clear()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            return
        with self._lock:
            if self._server is None:  # cut while connecting
                upstream.close()
                return
            self._open.update((client, upstream))
        peer = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peer:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select(timeout=0.5):
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        peer[key.fileobj].sendall(data)
                    if client.fileno() < 0 or upstream.fileno() < 0:
                        return
            except (OSError, ValueError):
                return
            finally:
                with self._lock:
                    self._open.difference_update(peer)
                for sock in peer:
                    sock.close()
