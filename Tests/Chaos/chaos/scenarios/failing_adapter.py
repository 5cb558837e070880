"""Scenario `failing`: an adapter that always fails: retried with backoff, then dead-lettered; nothing left pending."""
import os, time

from ..checks import Check, settle_and_check, wait_until
from ..common import keys
from ..delivery import Load
from ..hookbay import build_test_plugin, config_dir, plugin_platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "failing"


def run(hb, tmp):
    check = Check(NAME)
    redis = Redis(tmp); redis.start()
    try:
        platform = "chaos-fa"
        plugin = build_test_plugin(tmp, "always-fails", "PROCESS_RETRY")
        yaml = plugin_platform_yaml(platform, "always-fails", plugin, "retry: { max_attempts: 3, base_delay_ms: 100, max_delay_ms: 400 }\n")
        conf = config_dir(tmp, {"p.yaml": yaml})
        database = os.path.join(tmp, "failing.sqlite")
        _, port = hb.serve(conf, redis, database)
        hb.worker(conf, redis, database, "fa", workers=2)
        ledger = Ledger(check.name)
        started = time.time()
        Load([port], platform, ledger, threads=4, count=100).start().join()
        dlq = keys(platform)["dlq"]
        wait_until(lambda: (redis.command("XLEN", dlq) or 0) == 100, 60, "all 100 events are dead-lettered")
        check.facts["seconds_to_dead_letter_all"] = round(time.time() - started, 2)
        entries = redis.stream_entries(dlq).values()
        attempts = {f.get("attempts") for f in entries}
        errors = {f.get("error") for f in entries}
        check.facts["attempts"] = sorted(attempts, key=str)
        check.expect(attempts == {"3"}, f"dead-lettered after {attempts} attempts, not 3")
        check.expect(all(e and "downstream is unavailable" in e for e in errors), f"errors kept: {errors}")
        settle_and_check(check, ledger, redis, database, platform)
        check.expect(check.facts["dead_lettered"] == 100 and check.facts["applied"] == 0, "not every event was dead-lettered")
    finally:
        redis.kill()
    return check
