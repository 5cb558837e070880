"""Scenario `cluster-scale-out`: two gateways and two workers on a Redis Cluster (three primaries, a replica each) and
PostgreSQL, the workers reading across hash slots: each accepted event applied exactly once."""
from .scale_out import run_on

NAME = "cluster-scale-out"


def run(hb, tmp):
    return run_on(hb, tmp, NAME, "chaos-cs", postgres=True, cluster=True)
