"""A private PostgreSQL server for a scenario (scripts/postgres-server), and what it holds."""
import os, subprocess

from .common import ROOT, free_port

SCRIPT = os.path.join(ROOT, "scripts", "postgres-server")


class Postgres:
    """A server in `{tmp}/pg-{name}` on a free loopback port; `url` is what `--database` takes."""

    def __init__(self, tmp, name):
        self.dir = os.path.join(tmp, f"pg-{name}")
        self.port = free_port()
        self.url = None

    def start(self):
        out = subprocess.run(["bash", SCRIPT, "start", self.dir, str(self.port)], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"postgres-server start failed: {out.stdout} {out.stderr}")
        self.url = out.stdout.strip().splitlines()[-1]

    def stop(self, mode="fast"):
        """`immediate` is a crash: sessions cut, no shutdown checkpoint."""
        subprocess.run(["bash", SCRIPT, "stop", self.dir, mode], capture_output=True, stdin=subprocess.DEVNULL, timeout=120)

    def query(self, sql, *params):
        """Rows of `sql` (psql, unaligned, `|`-separated); `:'p1'`-style variables are bound from `params`."""
        args = ["psql", self.url, "-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1"]
        for i, value in enumerate(params, 1):
            args += ["-v", f"p{i}={value}"]
        out = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return [line.split("|") for line in out.stdout.splitlines() if line]
