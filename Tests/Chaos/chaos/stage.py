"""Stage: what every scenario sets up and tears down: its Check, a private Redis, one platform's config directory and
database, and the hookbay processes started on them."""
import os

from .checks import Check, settle_and_check
from .hookbay import build_test_plugin, config_dir, platform_yaml, plugin_platform_yaml
from .postgres import Postgres
from .redis import Redis
from .redis_cluster import RedisCluster, slot


class Stage:
    """One scenario's set-up, as a context manager:

        with Stage(hb, tmp, NAME, "chaos-mf") as stage:   # starts Redis, writes the platform file
            _, port = stage.serve()                       # hookbay serve on stage.conf, stage.redis, stage.database
            stage.worker("mf")                            # hookbay worker, consumer name "mf"
            ...
        return stage.check

    On entering: a Redis (`appendfsync`: e.g. "always", for an append-only file that survives kill -9) is started;
    with `plugin`, the test plugin of that name (and `variant`) is compiled and is the platform's adapter; the config
    directory gets `p.yaml`, the platform file of `platform` (plus the lines `extra_yaml`); the database is
    `{tmp}/{name}.sqlite`, or with `postgres` a private PostgreSQL server (`stage.postgres`). With `cluster`, `stage.redis`
    is a private Redis Cluster (three primaries, a replica each) and the config directory gets a second, idle platform
    whose stream is in another hash slot, so workers read across slots. No hookbay process is started: the scenario starts them, in its own order. On leaving,
    however it leaves, Redis is killed (the hookbay processes are killed by the runner, `Hookbay.stop_all`).
    """

    def __init__(self, hb, tmp, name, platform, appendfsync=None, plugin=None, variant=None, extra_yaml="", postgres=False,
                 cluster=False):
        self.hb, self.tmp = hb, tmp
        self.check = Check(name)
        self.platform = platform
        self.cluster = cluster
        self.redis = RedisCluster(tmp) if cluster else Redis(tmp, appendfsync)
        self.postgres = Postgres(tmp, name) if postgres else None
        self.database = os.path.join(tmp, f"{name}.sqlite")
        self.conf = None  # the config directory, made on entering
        self.plugin, self.variant, self.extra_yaml = plugin, variant, extra_yaml

    def __enter__(self):
        self.redis.start()
        try:
            if self.postgres:
                self.postgres.start()
            if self.plugin:
                path = build_test_plugin(self.tmp, self.plugin, self.variant)
                yaml = plugin_platform_yaml(self.platform, self.plugin, path, self.extra_yaml)
            else:
                yaml = platform_yaml(self.platform, self.extra_yaml)
            files = {"p.yaml": yaml}
            if self.cluster:
                idle = next(f"{self.platform}-idle{i}" for i in range(100)
                            if slot(f"{{{self.platform}-idle{i}}}") != slot(f"{{{self.platform}}}"))
                files["q.yaml"] = platform_yaml(idle, "")
            self.conf = config_dir(self.tmp, files)
        except BaseException:
            self.redis.kill()
            if self.postgres:
                self.postgres.stop("immediate")
            raise
        return self

    @property
    def database_arg(self):
        """What `--database` is given: the SQLite file, or the PostgreSQL URL."""
        return self.postgres.url if self.postgres else self.database

    def __exit__(self, *exc_info):
        self.redis.kill()
        if self.postgres:
            self.postgres.stop("immediate")
        return False  # an exception goes on to the runner, which fails the scenario

    def serve(self, port=None, wait=True, extra_env=None):
        """Starts `hookbay serve` (Hookbay.serve); returns (process, port)."""
        return self.hb.serve(self.conf, self.redis, self.database_arg, port=port, extra_env=extra_env, wait=wait)

    def worker(self, name, workers=2, extra_env=None):
        """Starts `hookbay worker` with consumer name `name` (Hookbay.worker); returns the process."""
        return self.hb.worker(self.conf, self.redis, self.database_arg, name, workers=workers, extra_env=extra_env)

    def settle_and_check(self, ledger, drain_timeout=120):
        """checks.settle_and_check on this stage's check, Redis, database and platform."""
        settle_and_check(self.check, ledger, self.redis, self.postgres or self.database, self.platform, drain_timeout)
