"""Fault injection with a ledger: proves that every webhook answered 2xx is applied to the database exactly once or
sits in the dead-letter queue, that nothing else gets in, and that service comes back after each fault.

Drives real `hookbay serve` / `hookbay worker` processes and real `redis-server`s (each scenario starts its own, on a
free loopback port, in a temporary directory) with signed load from threads that record every delivery's outcome.
Every delivery is entered in the ledger before it is sent and classified when it ends, whatever happens (a load thread
never dies on an answer or an exception): accepted (202 {"status":"accepted","event_id":...}), duplicate (200
{"status":"duplicate","event_id":...}), refused with a refusal the scenario expects (e.g. 503 queue_unavailable while
Redis is down), no answer (only where the scenario expects it: the server is killed), or unexpected (anything else:
another status or body, no answer where none is expected, an exception), listed with its reason.

After each scenario the ledger is checked; each of these fails the scenario:
  - a delivery without a recorded outcome (sent != accepted + duplicate + refused + no answer + unexpected), and any
    unexpected outcome;
  - an accepted event id neither in SQLite's applied_events nor in the platform's dead-letter stream, or in both, or
    twice in the dead-letter stream;
  - an applied_events row whose `applications` (times that delivery's updates were written) is not 1, or an event id
    in more than one row (applied twice). A database from before the `applications` column existed is checked by
    counting rows per event id instead (the output says so: `applications_column: false`);
  - the processed counter (acknowledgements) differs from the distinct events applied; entries left pending, in the
    stream, or in the attempts / retry / interrupted bookkeeping;
  - a content id applied that this run never sent, or one whose delivery was refused with a 4xx;
  - after a server restart or a hot reload, no 2xx for a fresh delivery within the stated time.

Scenarios:
  worker-kill   kill -9 a worker holding read-but-unacknowledged entries; another worker claims and applies them
  after-commit  a worker dies (HOOKBAY_FAILPOINT=after_commit: SIGKILL between its batch's commit and its XACK), twice
                more on restart, under load; then restarted until drained: each event applied exactly once,
                processed counter == accepted
  server-kill   kill -9 `hookbay serve` under load; answered events present, clients saw errors for the rest, a
                fresh delivery answered 2xx within 10 s of the restart
  redis-kill    kill -9 Redis (appendfsync always) under load: 503 queue_unavailable and /readyz 503 while down,
                service back within 5 s of Redis returning, no answered event lost
  same-event    1,000 concurrent deliveries of one event: one 202, 999 duplicates, one stream entry, one row
  failing       an adapter that always fails: retried with backoff, then dead-lettered; nothing left pending
  poison        an adapter that aborts the worker on one event (retry.max_deliveries 3), a supervising loop restarting
                the worker (at most 15 times): the 199 others applied once, the poison dead-lettered as interrupted
                after at most max_deliveries + 1 crashes
  reload        a platform disabled, edited and re-enabled by hot reload under load: 503 platform_disabled within
                10 s of disabling, 2xx within 10 s of re-enabling, nothing accepted is lost
  scale-out     two gateways and two workers on one Redis: each accepted event applied exactly once
  scale-out-pg  the same on PostgreSQL
  postgres-restart  PostgreSQL restarted under load: workers hold and retry, nothing dead-lettered, nothing lost
  global-limit  a global rate limit shared by two gateways: accepted within the bucket's size plus its refill
  cluster-scale-out  two gateways and two workers on a Redis Cluster (3 primaries, 3 replicas) and PostgreSQL,
                workers reading across hash slots: each accepted event applied exactly once
  cluster-failover  kill -9 of the platform's primary under load with --redis-wait-replicas 1: the replica takes
                over, the killed node rejoins as its replica, 2xx again within 15 s, no answered event lost
  forward-destinations  two forwarding destinations on loopback, one failing a third of its requests, one down for
                a while, the forwarding worker killed (kill -9) mid-run: per destination, every accepted event answered
                2xx by it or in its dead letters, none delivered that was never accepted, its lane drained

Usage: scripts/chaos [--skip-build] [--bin-dir DIR] [--only NAME ...] [--ledger FILE]
Needs redis-server and redis-cli (apt-get install -y redis-server redis-tools), PostgreSQL, gcc, and a debug build (the
after-commit failpoint is compiled into debug builds only).
Exit status 0 when every scenario's ledger balances, 1 otherwise.
"""
import argparse, json, os, subprocess, tempfile, time, traceback

from .checks import Check
from .common import ROOT, log
from .hookbay import Hookbay
from .scenarios import SCENARIOS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--bin-dir", default=None, help="where hookbay and the plugins are (default: swift build's debug bin path)")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--ledger", default=None, help="write every scenario's figures as JSON to this file")
    args = parser.parse_args()
    os.chdir(ROOT)
    if not args.skip_build:
        subprocess.run(["swift", "build"], check=True)
    bin_dir = args.bin_dir or subprocess.run(["swift", "build", "--show-bin-path"], check=True, capture_output=True,
                                             text=True).stdout.strip()
    results = []
    with tempfile.TemporaryDirectory(prefix="hookbay-chaos-") as tmp:
        for name in args.only or list(SCENARIOS):
            hb = Hookbay(bin_dir, tmp)
            started = time.time()
            log(f"== {name}")
            try:
                check = SCENARIOS[name](hb, tmp)
            except Exception as error:  # a scenario that cannot finish fails; the others still run
                check = Check(name)
                check.failures.append(f"{type(error).__name__}: {error}")
                check.failures += ["    " + line for line in traceback.format_exc().strip().splitlines()[-6:]]
            finally:
                hb.stop_all()
            check.facts["seconds"] = round(time.time() - started, 1)
            results.append(check)
            log(f"   {'ok' if not check.failures else 'FAILED'} {json.dumps(check.facts)}")
            for failure in check.failures:
                log(f"   ! {failure}")
    print()
    print(f"{'scenario':<12} {'result':<7} {'sent':>6} {'2xx':>6} {'dup':>5} {'refused':>7} {'no answer':>9} {'unexpected':>10} "
          f"{'applied':>7} {'DLQ':>5} {'missing':>7}")
    for c in results:
        f = c.facts
        print(f"{c.name:<12} {'ok' if not c.failures else 'FAILED':<7} {f.get('sent', 0):>6} {f.get('accepted', 0):>6} "
              f"{f.get('duplicate', 0):>5} {f.get('refused', 0):>7} {f.get('no_answer', 0):>9} {f.get('unexpected', 0):>10} "
              f"{f.get('applied', 0):>7} {f.get('dead_lettered', 0):>5} {f.get('missing', 0):>7}")
    if args.ledger:
        with open(args.ledger, "w") as out:
            json.dump({c.name: {"ok": not c.failures, "failures": c.failures, **c.facts} for c in results}, out, indent=2)
    failed = [c.name for c in results if c.failures]
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    print("\nevery ledger balances: each event answered 2xx is applied exactly once or dead-lettered, every answer was "
          "expected, service came back after each fault, and nothing else got in")
    return 0
