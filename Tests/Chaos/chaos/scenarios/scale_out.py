"""Scenario `scale-out`: two gateways and two workers on one Redis: each accepted event applied exactly once."""
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "scale-out"


def run(hb, tmp):
    return run_on(hb, tmp, NAME, "chaos-so", postgres=False)


def run_on(hb, tmp, name, platform, postgres, cluster=False):
    """Two gateways and two workers on one Redis (with `cluster`, a Redis Cluster) and the stage's database (SQLite,
    or with `postgres` PostgreSQL)."""
    with Stage(hb, tmp, name, platform, postgres=postgres, cluster=cluster) as stage:
        _, port_a = stage.serve()
        _, port_b = stage.serve()
        stage.worker(f"{platform}-a")
        stage.worker(f"{platform}-b")
        ledger = Ledger(name)
        Load([port_a, port_b], stage.platform, ledger, threads=8, count=3000).start().join()
        stage.settle_and_check(ledger)
        stage.check.expect(stage.check.facts["applied"] == 3000, f"{stage.check.facts['applied']} applied, not 3000")
    return stage.check
