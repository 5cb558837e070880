"""A forwarding destination for the chaos suite: a real HTTP server on loopback whose answers a scenario controls, and
the webhook-id Hookbay gives each delivery."""
import hashlib, http.server, threading

from .common import free_port


def webhook_id(platform, destination, event_id):
    """The `webhook-id` of every attempt to forward `event_id` (Sources/Hookbay/Forwarding/ForwardDelivery.swift)."""
    h = hashlib.sha256()
    for part in (platform, destination, event_id):
        h.update(part.encode()); h.update(b"\0")
    return "msg_" + h.hexdigest()[:32]


class Receiver:
    """Records every request's webhook-id and the status it was answered; `answer(index)` says the status of the
    index-th request (from 0). `down()` closes the listening socket until `up()`."""

    def __init__(self, answer=lambda index: 200):
        self.answer = answer
        self.port = free_port()
        self.lock = threading.Lock()
        self.requests = []  # (webhook-id, status)
        self.server = None

    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self):
        """The webhook-ids answered 2xx."""
        with self.lock:
            return {wid for wid, status in self.requests if 200 <= status < 300}

    def up(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                with receiver.lock:
                    index = len(receiver.requests)
                    status = receiver.answer(index)
                    receiver.requests.append((self.headers.get("webhook-id") or "", status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def down(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
