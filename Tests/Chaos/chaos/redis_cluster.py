"""RedisCluster: a private Redis Cluster (scripts/redis-cluster: three primaries, a replica each) with the same
interface as Redis, so that a scenario's checks read it the same way; each command goes to the primary serving its key."""
import os, random, signal, socket, subprocess, tempfile, time

from .common import ROOT
from .redis import Redis, resp_command

SCRIPT = os.path.join(ROOT, "scripts", "redis-cluster")
NODES = 6


def slot(key):
    """The key's hash slot (CRC16/XMODEM of its {tag}, modulo 16384), as Sources/HookbayRedis/RedisClusterSlot.swift."""
    data = key.encode() if isinstance(key, str) else key
    start = data.find(b"{")
    if start >= 0:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1:end]
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc & 16383


def free_base():
    """The first of NODES consecutive free loopback ports whose cluster bus ports (+10000) are free too."""
    def free(port):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
        finally:
            s.close()
    while True:
        base = random.randrange(20000, 45000)
        if all(free(p) and free(p + 10000) for p in range(base, base + NODES)):
            return base


class RedisCluster(Redis):
    """Six redis-server processes; `kill()` stops them all, `kill_node(port)` is kill -9 of one, `restart_node(port)`
    starts it again (it rejoins the cluster)."""

    def __init__(self, tmp):
        self.dir = tempfile.mkdtemp(dir=tmp, prefix="cluster-")
        self.base = free_base()
        self.port = self.base
        self.appendfsync = None
        self.process = None
        self._url = None

    @property
    def url(self):
        return self._url

    @property
    def ports(self):
        return list(range(self.base, self.base + NODES))

    def start(self):
        out = subprocess.run(["bash", SCRIPT, "start", self.dir, str(self.base), "1"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"redis-cluster start failed: {out.stdout} {out.stderr}")
        self._url = out.stdout.strip().splitlines()[-1]

    def kill(self):
        subprocess.run(["bash", SCRIPT, "stop", self.dir], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)

    def kill_node(self, port):
        with open(os.path.join(self.dir, str(port), "redis.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)

    def restart_node(self, port):
        subprocess.run(["bash", SCRIPT, "restart", self.dir, str(port)], capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=60, check=True)

    def primary_of(self, key):
        """The port of the primary serving `key`'s slot, as the first node that answers sees it."""
        wanted = slot(key)
        for port in self.ports:
            try:
                ranges = resp_command(port, "CLUSTER", "SLOTS")
            except (OSError, RuntimeError):
                continue
            for start, end, primary, *_ in ranges:
                if start <= wanted <= end:
                    return int(primary[1])
        raise RuntimeError(f"no node of the cluster knows who serves slot {wanted}")

    def role(self, port):
        """`master` or `slave`, or None when the node does not answer."""
        try:
            info = resp_command(port, "INFO", "replication")
        except (OSError, RuntimeError):
            return None
        for line in info.splitlines():
            if line.startswith("role:"):
                return line.split(":", 1)[1].strip()
        return None

    def command(self, *args):
        """The command on the primary serving its key (args[1]); any node for a command without one."""
        port = self.primary_of(args[1]) if len(args) > 1 else self.base
        for _ in range(5):
            try:
                return resp_command(port, *args)
            except RuntimeError as e:
                words = str(e).split()
                if len(words) == 3 and words[0] in ("MOVED", "ASK"):
                    port = int(words[2].rsplit(":", 1)[1])
                    continue
                if words and words[0] in ("CLUSTERDOWN", "TRYAGAIN"):
                    time.sleep(0.2)
                    port = self.primary_of(args[1]) if len(args) > 1 else self.base
                    continue
                raise
        raise RuntimeError(f"{args[0]} kept being redirected")
