"""Scenario `worker-kill`: kill -9 a worker holding read-but-unacknowledged entries; another worker claims and
applies them."""
import os, signal, time

from ..checks import Check, settle_and_check, wait_until
from ..delivery import Load
from ..hookbay import build_test_plugin, config_dir, plugin_platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "worker-kill"


def run(hb, tmp):
    check = Check(NAME)
    redis = Redis(tmp); redis.start()
    try:
        platform = "chaos-wk"
        # The test plugin upserts each event's content id; HOOKBAY_TEST_PROCESS_SLEEP holds a worker inside
        # process(), so the victim is certain to hold read, unacknowledged entries when it is killed.
        plugin = build_test_plugin(tmp, "slow-upsert")
        conf = config_dir(tmp, {"p.yaml": plugin_platform_yaml(platform, "slow-upsert", plugin)})
        database = os.path.join(tmp, "worker-kill.sqlite")
        _, port = hb.serve(conf, redis, database)
        ledger = Ledger(check.name)
        Load([port], platform, ledger, threads=4, count=1500).start().join()
        victim = hb.worker(conf, redis, database, "victim", workers=2, extra_env={"HOOKBAY_TEST_PROCESS_SLEEP": "600"})
        held = lambda: redis.pending(platform, "victim-0") + redis.pending(platform, "victim-1")
        wait_until(lambda: held() > 0, 60, "the victim holds read, unacknowledged entries")
        time.sleep(0.3)
        victim.send_signal(signal.SIGKILL); victim.wait()
        check.facts["held_by_killed_worker"] = held()
        hb.worker(conf, redis, database, "rescuer", workers=2)
        settle_and_check(check, ledger, redis, database, platform)
        check.expect(held() == 0, "the killed worker's entries were not claimed")
        check.expect(ledger.tally["accepted"] == 1500, "not every delivery was accepted")
    finally:
        redis.kill()
    return check
