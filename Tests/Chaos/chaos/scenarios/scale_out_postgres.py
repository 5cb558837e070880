"""Scenario `scale-out-pg`: two gateways and two workers on one Redis and one PostgreSQL content database: each
accepted event applied exactly once."""
from .scale_out import run_on

NAME = "scale-out-pg"


def run(hb, tmp):
    return run_on(hb, tmp, NAME, "chaos-sp", postgres=True)
