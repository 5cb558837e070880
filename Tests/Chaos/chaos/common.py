"""What every part of the chaos suite shares: the repository root, the signing secret, the consumer group, free ports,
logging, the Redis key names of a platform and how a process ended."""
import os, signal, socket, sys

# The repository root: this file is Tests/Chaos/chaos/common.py.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SECRET = "chaos-secret-5e2b91"
SECRET_ENV = "HOOKBAY_CHAOS_SECRET"
GROUP = "webhook-processors"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def keys(platform):
    """The Redis keys of a platform (Sources/Hookbay/Queue/QueueKeys.swift)."""
    return {name: f"webhooks:{name}:{{{platform}}}" for name in ("incoming", "dlq", "processed", "retry", "attempts", "interrupted")}


def signal_name(returncode):
    """`SIGKILL` for -9, `exit 3` for 3."""
    if returncode is None:
        return "running"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"
