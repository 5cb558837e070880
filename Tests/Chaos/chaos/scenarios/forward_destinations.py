"""Scenario `forward-destinations`: the platform forwards every applied event to two destinations, one failing a third
of its requests and one down for a while, while the forwarding worker is killed (kill -9) mid-run and replaced. The
ledger per destination: every accepted event's delivery was answered 2xx by it or is in its dead letters, and its lane
is drained. `down` takes the raw request bodies, so a third of its deliveries (those padded past 1 KiB) have their body
kept apart in Redis too."""
import signal, time

from ..checks import wait_until
from ..delivery import Load
from ..ledger import Ledger
from ..receiver import Receiver, webhook_id
from ..stage import Stage

NAME = "forward-destinations"
DESTINATIONS = """destinations:
  - name: flaky
    url: {flaky}
    retry: {{ max_attempts: 4, base_delay_ms: 50, max_delay_ms: 300 }}
    circuit_breaker: {{ failures: 1000 }}
    timeout_ms: 2000
  - name: down
    url: {down}
    body: raw
    retry: {{ max_attempts: 100, base_delay_ms: 50, max_delay_ms: 500 }}
    circuit_breaker: {{ failures: 5, cool_down_ms: 300 }}
    timeout_ms: 2000
"""


def lane(platform, destination):
    return f"webhooks:forward:{{{platform}}}:{destination}", f"webhooks:forward-dlq:{{{platform}}}:{destination}"


def run(hb, tmp):
    flaky = Receiver(lambda index: 500 if index % 3 == 0 else 200).up()
    down = Receiver()  # not listening until later
    try:
        yaml = DESTINATIONS.format(flaky=flaky.url(), down=down.url())
        with Stage(hb, tmp, NAME, "chaos-fw", extra_yaml=yaml) as stage:
            env = {"HOOKBAY_FORWARD_ALLOW_NETWORKS": "127.0.0.0/8"}
            _, port = stage.serve()
            victim = stage.worker("fw-victim", extra_env=env)
            ledger = Ledger(NAME)
            load = Load([port], stage.platform, ledger, threads=4, count=600).start()
            wait_until(lambda: len(flaky.requests) >= 100, 60, "forwarding is under way")
            victim.send_signal(signal.SIGKILL); victim.wait()
            stage.check.facts["flaky_requests_before_kill"] = len(flaky.requests)
            stage.worker("fw-rescuer", extra_env=env)
            load.join()
            time.sleep(2)
            down.up()
            stage.settle_and_check(ledger)
            accepted = set(ledger.accepted.values()) | set(ledger.duplicate.values())
            for receiver, name in ((flaky, "flaky"), (down, "down")):
                stream, dlq = lane(stage.platform, name)
                wanted = {webhook_id(stage.platform, name, event_id) for event_id in accepted}

                def settled():
                    dead = {fields.get("webhook_id") for fields in stage.redis.stream_entries(dlq).values()}
                    return wanted <= (receiver.delivered() | dead) and (stage.redis.command("XLEN", stream) or 0) == 0

                try:
                    wait_until(settled, 120, f"every accepted event is delivered to {name} or in its dead letters, its lane empty")
                except AssertionError as error:
                    stage.check.failures.append(str(error))
                dead = [fields.get("webhook_id") for fields in stage.redis.stream_entries(dlq).values()]
                missing = wanted - receiver.delivered() - set(dead)
                strangers = (receiver.delivered() | set(dead)) - wanted
                stage.check.facts[f"{name}_requests"] = len(receiver.requests)
                stage.check.facts[f"{name}_delivered"] = len(receiver.delivered() & wanted)
                stage.check.facts[f"{name}_dead_lettered"] = len(dead)
                stage.check.expect(not missing, f"{len(missing)} accepted events never reached {name} nor its dead letters")
                stage.check.expect(not strangers, f"{name} got deliveries of events never accepted: {sorted(strangers)[:3]}")
                stage.check.expect(not (receiver.delivered() & set(dead)), f"a delivery to {name} is both delivered and dead-lettered")
            stage.check.expect(stage.check.facts["down_dead_lettered"] == 0, "the destination that came back lost deliveries")
            # Lanes drained: the bodies still kept for good are exactly those dead letters name (none left behind by a
            # delivery sent, or by the killed forwarder's).
            prefix = f"webhooks:body:{{{stage.platform}}}:"
            kept = {key for key in (stage.redis.command("KEYS", prefix + "*") or []) if stage.redis.command("TTL", key) == -1}
            dead_streams = [f"webhooks:dlq:{{{stage.platform}}}"] + [lane(stage.platform, name)[1] for name in ("flaky", "down")]
            named = {prefix + fields["envelope_ref"] for key in dead_streams for fields in stage.redis.stream_entries(key).values()
                     if "envelope_ref" in fields}
            stage.check.facts["bodies_kept_after_forwarding"] = len(kept)
            stage.check.expect(kept == named, f"after forwarding, {len(kept - named)} bodies left behind, {len(named - kept)} missing")
    finally:
        flaky.down()
        down.down()
    return stage.check
