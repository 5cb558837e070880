"""Load: signed envelopes, one delivery and its classification, and load threads."""
import collections, hashlib, hmac, http.client, json, threading, time, traceback

from .common import SECRET


def envelope(platform, content_id):
    """About 200 bytes; one in three is padded past 1 KiB, a body Redis keeps apart from its stream entry, so that
    every fault also meets the two-command write (the body's SET, then the enqueue script)."""
    document = {"event_type": "content_added", "platform": platform, "timestamp": "2025-12-06T00:00:00Z",
                "payload": {"content_id": content_id, "title": f"Title of {content_id}"}}
    if hashlib.sha256(content_id.encode()).digest()[0] % 3 == 0:
        document = {"padding": "p" * 1100, **document}
    return json.dumps(document, separators=(",", ":")).encode()


def signature(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


Outcome = collections.namedtuple("Outcome", "kind detail")  # kind: accepted, duplicate, refused, no_answer, unexpected

OUTCOMES = ("accepted", "duplicate", "refused", "no_answer", "unexpected")


def classify(status, body, refusals):
    """The outcome of one answer: `refusals` are the (status, error code) pairs the scenario expects."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    event_id = answer.get("event_id")
    has_id = isinstance(event_id, str) and event_id != ""
    text = body[:160].decode("utf-8", "replace") if isinstance(body, bytes) else str(body)[:160]
    if status == 202:
        if answer.get("status") == "accepted" and has_id:
            return Outcome("accepted", event_id)
        return Outcome("unexpected", ("202 without an accepted event id", text))
    if status == 200:
        if answer.get("status") == "duplicate" and has_id:
            return Outcome("duplicate", event_id)
        return Outcome("unexpected", (f"200 {answer.get('status') or 'without a duplicate event id'}", text))
    code = answer.get("error")
    if (status, code) in refusals:
        return Outcome("refused", (status, code))
    return Outcome("unexpected", (f"{status} {code or '(no error code)'}", text))


def deliver(port, platform, content_id, ledger, connection=None, timeout=10):
    """POSTs one signed event and records its outcome in the ledger, whatever happens (never raises).
    Returns (a connection to reuse or None, the Outcome)."""
    ledger.begin(content_id)
    c = connection
    try:
        body = envelope(platform, content_id)
        c = c or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", f"/api/v1/webhooks/{platform}", body=body,
                  headers={"Content-Type": "application/json", "X-Webhook-Signature": signature(body)})
        response = c.getresponse()
        status, text = response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        if c is not None:
            c.close()
        return None, ledger.record(content_id, None, b"", error=f"{type(error).__name__}: {error}")
    except Exception as error:  # anything else: recorded, never fatal to the caller
        if c is not None:
            c.close()
        return None, ledger.record_unexpected(content_id, f"exception {type(error).__name__}",
                                              traceback.format_exception_only(type(error), error)[-1].strip())
    try:
        return c, ledger.record(content_id, status, text)
    except Exception as error:
        return c, ledger.record_unexpected(content_id, f"ledger error {type(error).__name__}", repr(error))


class Load:
    """`threads` clients posting distinct events to `ports` in turn until stopped (or `count` events are sent).
    `name(i)` is the content id of the i-th event (default `{prefix}{i}`)."""

    def __init__(self, ports, platform, ledger, threads=8, count=None, prefix="c", pause=0.0, name=None):
        self.ports, self.platform, self.ledger = ports, platform, ledger
        self.count, self.pause = count, pause
        self.name = name or (lambda i: f"{prefix}{i}")
        self.stop_flag = threading.Event()
        self.next = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def take(self):
        with self.lock:
            if self.count is not None and self.next >= self.count:
                return None
            self.next += 1
            return self.next - 1

    def run(self):
        connection, port = None, None
        while not self.stop_flag.is_set():
            i = self.take()
            if i is None:
                return
            content_id = None
            try:
                content_id = self.name(i)
                target = self.ports[i % len(self.ports)]
                if target != port and connection:
                    connection.close(); connection = None
                port = target
                connection, _ = deliver(port, self.platform, content_id, self.ledger, connection)
            except Exception as error:  # deliver records everything itself; this is the last resort
                self.ledger.record_unexpected(content_id if content_id is not None else f"#{i}",
                                              f"load thread {type(error).__name__}", repr(error))
                connection = None
            if self.pause:
                time.sleep(self.pause)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.join()

    def join(self, timeout=120):
        deadline = time.time() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.time()))
        hung = sum(t.is_alive() for t in self.threads)
        if hung:
            raise AssertionError(f"{hung} load threads still running {timeout} s after they were told to finish")
