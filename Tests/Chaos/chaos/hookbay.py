"""Hookbay processes (`hookbay serve` / `hookbay worker`), their readiness, platform files and the test plugin."""
import http.client, os, signal, subprocess, tempfile, time

from .common import ROOT, SECRET, SECRET_ENV, free_port

# The C source of the test plugins (its variants chosen by -DVARIANT_...), relative to the repository root.
FIXTURE_PLUGIN_SOURCE = "Tests/Fixtures/bad_plugins.c"


class Hookbay:
    def __init__(self, bin_dir, tmp):
        self.bin = os.path.join(bin_dir, "hookbay")
        self.tmp = tmp
        self.processes = []

    def env(self, extra=None):
        env = dict(os.environ, **{SECRET_ENV: SECRET})
        for name in ("HOOKBAY_FAILPOINT", "HOOKBAY_TEST_CRASH_ON", "HOOKBAY_TEST_PROCESS_SLEEP"):
            env.pop(name, None)  # armed only where a scenario arms them
        env.update(extra or {})
        return env

    def serve(self, config_dir, redis, database, port=None, extra_env=None, wait=True):
        """Starts `hookbay serve`; waits for /healthz unless `wait` is false."""
        port = port or free_port()
        p = subprocess.Popen([self.bin, "serve", "--host", "127.0.0.1", "--port", str(port), "--config-dir", config_dir,
                              "--redis-url", redis.url, "--database", database, "--no-workers", "--log-level", "error",
                              "--reload-interval", "0.2"],
                             env=self.env(extra_env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(p)
        if wait:
            wait_ready(port, p)
        return p, port

    def worker(self, config_dir, redis, database, name, workers=2, extra_env=None):
        p = subprocess.Popen([self.bin, "worker", "--config-dir", config_dir, "--redis-url", redis.url,
                              "--database", database, "--consumer-name", name, "--workers", str(workers),
                              "--claim-idle", "1", "--log-level", "error"],
                             env=self.env(extra_env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(p)
        return p

    def stop_all(self):
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()


def wait_ready(port, process=None, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if get_status(port, "/healthz") == 200:
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"hookbay serve on port {port} exited with {process.returncode} before it was ready")
        time.sleep(0.05)
    raise RuntimeError(f"hookbay on port {port} did not come up within {timeout} s")


def get_status(port, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path)
        status = c.getresponse().status
        c.close()
        return status
    except (OSError, http.client.HTTPException):
        return None


def platform_yaml(platform, extra=""):
    """A netflix-adapter platform; its rate limit is out of the way unless `extra` sets one."""
    limit = "" if "rate_limit:" in extra else "rate_limit: { per_minute: 6000000, burst: 100000 }\n"
    return f"platform: {platform}\nadapter: netflix\nsecret_env: {SECRET_ENV}\nrequired_fields: [content_id]\n{limit}{extra}"


def plugin_platform_yaml(platform, adapter, plugin, extra=""):
    return platform_yaml(platform, extra).replace("adapter: netflix", f"adapter: {adapter}\nplugin_path: {plugin}")


def config_dir(tmp, files):
    d = tempfile.mkdtemp(dir=tmp, prefix="platforms-")
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def build_test_plugin(tmp, name, variant=None):
    """Compiles a test plugin from FIXTURE_PLUGIN_SOURCE (the variant's behaviour) with gcc."""
    plugin = os.path.join(tmp, f"lib{name}.so")
    args = ["gcc", "-shared", "-fPIC", "-O1", "-o", plugin, "-I", os.path.join(ROOT, "Sources/HookbayPluginABI/include"),
            f'-DNAME="{name}"']
    if variant:
        args.append(f"-DVARIANT_{variant}")
    subprocess.run(args + [os.path.join(ROOT, FIXTURE_PLUGIN_SOURCE)], check=True)
    return plugin
