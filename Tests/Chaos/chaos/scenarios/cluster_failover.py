"""Scenario `cluster-failover`: kill -9 of the primary serving the platform, under load, with --redis-wait-replicas 1
on a Redis Cluster: its replica takes over, the killed node rejoins as the new primary's replica, service is back
within 15 s of the kill, and no event answered 2xx is lost."""
import time

from ..checks import probe, wait_until
from ..common import keys
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "cluster-failover"
WAIT_REPLICAS = {"HOOKBAY_REDIS_WAIT_REPLICAS": "1", "HOOKBAY_REDIS_WAIT_TIMEOUT": "1"}


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-cf", cluster=True) as stage:
        _, port_a = stage.serve(extra_env=WAIT_REPLICAS)
        _, port_b = stage.serve(extra_env=WAIT_REPLICAS)
        stage.worker("cf-a")
        stage.worker("cf-b")
        cluster = stage.redis
        # While the primary is down, a delivery to it is refused; one in flight when it died may get no answer.
        ledger = Ledger(NAME, refusals={(503, "queue_unavailable")}, no_answer=True)
        load = Load([port_a, port_b], stage.platform, ledger, threads=8, pause=0.002).start()
        time.sleep(3)
        accepted_before = len(ledger.accepted)
        stream = keys(stage.platform)["incoming"]
        primary = cluster.primary_of(stream)
        cluster.kill_node(primary)
        killed_at = time.time()
        # The cluster promotes the replica (cluster-node-timeout 2 s and an election); then the killed node comes
        # back and rejoins as its replica, so that WAIT 1 can be confirmed again.
        wait_until(lambda: cluster.primary_of(stream) != primary, 30, "a replica was promoted")
        stage.check.facts["seconds_to_promotion"] = round(time.time() - killed_at, 2)
        cluster.restart_node(primary)
        probe(stage.check, ledger, port_a, stage.platform, "probe-a", killed_at, 15, "2xx_after_failover_a")
        probe(stage.check, ledger, port_b, stage.platform, "probe-b", killed_at, 15, "2xx_after_failover_b")
        time.sleep(2)
        load.stop()
        stage.check.facts["accepted_before_kill"] = accepted_before
        stage.check.facts["killed_primary_role_now"] = cluster.role(primary)
        stage.settle_and_check(ledger)
    return stage.check
