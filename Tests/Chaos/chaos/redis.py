"""Redis: a private server and a minimal RESP client (standard library only)."""
import signal, socket, subprocess, tempfile, time

from .common import GROUP, free_port, keys


class Redis:
    """One redis-server process; `kill()` is kill -9, `start()` starts it again on the same port and directory."""

    def __init__(self, tmp, appendfsync=None):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=tmp, prefix="redis-")
        self.appendfsync = appendfsync
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", self.appendfsync] if self.appendfsync else ["--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if self.command("PING") == "PONG":
                    return
            except OSError:  # not listening yet
                pass
            except RuntimeError:  # -LOADING: replaying the append-only file after a restart
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def command(self, *args):
        return resp_command(self.port, *args)

    def stream_entries(self, key):
        """entry id -> fields (a dict) of every entry of a stream."""
        return {entry_id: dict(zip(fields[0::2], fields[1::2])) for entry_id, fields in self.command("XRANGE", key, "-", "+") or []}

    def stream_event_ids(self, key):
        """The event_id field of every entry of a stream."""
        return [fields.get("event_id") for fields in self.stream_entries(key).values()]

    def pending(self, platform, consumer=None):
        key = keys(platform)["incoming"]
        try:
            if consumer is None:
                return self.command("XPENDING", key, GROUP)[0]
            return len(self.command("XPENDING", key, GROUP, "-", "+", "1000", consumer))
        except RuntimeError:  # no group yet
            return 0

    def pending_entries(self, platform):
        """entry id -> consumer of every pending (read, unacknowledged) entry."""
        try:
            rows = self.command("XPENDING", keys(platform)["incoming"], GROUP, "-", "+", "100000") or []
        except RuntimeError:  # no group yet
            return {}
        return {row[0]: row[1] for row in rows}

    def bookkeeping(self, platform):
        """Sizes of the per-entry bookkeeping that must be empty once everything is settled."""
        k = keys(platform)
        return {"attempts": self.command("HLEN", k["attempts"]), "retry_schedule": self.command("ZCARD", k["retry"]),
                "interrupted": self.command("HLEN", k["interrupted"])}


def resp_command(port, *args):
    """One command to the server on `port`; an error reply raises RuntimeError with its text."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        payload = f"*{len(args)}\r\n".encode()
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            payload += f"${len(a)}\r\n".encode() + a + b"\r\n"
        s.sendall(payload)
        return _read(s.makefile("rb"))


def _read(reader):
    line = reader.readline()
    if not line:
        raise OSError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = reader.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(reader) for _ in range(n)]
    raise RuntimeError(f"unexpected RESP {line!r}")
