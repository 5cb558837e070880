"""The scenarios, one module each. A scenario module defines

    NAME = "my-fault"        # the name given to --only and shown in the summary table
    def run(hb, tmp): ...    # hb: a Hookbay (process owner), tmp: the run's temporary directory; returns a Check

and is registered by being in this folder: the modules named in ORDER first, in that order (the order of the output,
which humans compare between CI runs), then any other module (not starting with `_`) in alphabetical order.
"""
import importlib, pkgutil

ORDER = ["worker_kill", "after_commit", "server_kill", "redis_kill", "same_event", "failing_adapter", "poison", "reload",
         "scale_out", "scale_out_postgres", "postgres_restart", "global_limit"]


def discover():
    """NAME -> run of every scenario module in this folder, in running order."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    scenarios = {}
    for module_name in [m for m in ORDER if m in found] + [m for m in found if m not in ORDER]:
        module = importlib.import_module(f"{__name__}.{module_name}")
        name, run = getattr(module, "NAME", None), getattr(module, "run", None)
        if not isinstance(name, str) or not callable(run):
            raise TypeError(f"scenario module {module.__name__} must define NAME (a string) and run(hb, tmp)")
        if name in scenarios:
            raise ValueError(f"two scenarios named {name!r}: {scenarios[name].__module__} and {module.__name__}")
        scenarios[name] = run
    return scenarios


SCENARIOS = discover()
