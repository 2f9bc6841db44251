"""Places where moto spends time (or memory) it need not, made cheap.

Measured with cProfile on a warm ``lambda.invoke`` through the emulator's HTTP server: finding the
request's service took about 60% of the request, and listing the response class's methods another
10%. Measured with yappi on a Map of 1,000 Lambda Tasks: parsing JSONPaths (each state's
``ResultPath``, ...) took most of the CPU time, because moto builds a new JSONPath parser for every
evaluation. Each answer is now computed once.

Measured with py-spy on the same Map: starting a thread for every iteration's program took a
tenth of the time the interpreter held the interpreter lock; an iteration now runs on its Map
worker's thread.

moto also keeps every thread its interpreter ever started in a list, ``TMP_THREADS``, for good:
here the list forgets finished threads once it grows long.

Measured with ``python -X importtime`` on the emulator's start: two thirds of it (2.1 of 3.3 s)
went to importing moto's EC2 backend, which nothing the tutorial does uses: the Step Functions
interpreter's AWS Batch integration imports one enum from Batch, and Batch's package imports its
backend and EC2's. The enum's module is now loaded on its own; Batch and EC2 load on first use.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import sys
from pathlib import Path


def apply() -> None:
    """Cache moto's package listing, each response class's method names, and parsed JSONPaths;
    load the Batch and EC2 backends only when used. Call before anything imports moto's Step
    Functions interpreter."""
    _batch_backend_loads_on_first_use()
    _package_listing_is_read_once()
    _method_names_are_listed_once_per_class()
    _json_paths_are_parsed_once()
    _map_iterations_run_on_their_worker_thread()
    _finished_threads_are_forgotten()


def _batch_backend_loads_on_first_use() -> None:
    """The interpreter's Batch integration needs only ``moto.batch.utils.JobStatus``, but importing
    ``moto.batch.utils`` first runs ``moto/batch/__init__.py``, which imports the Batch backend and,
    through it, EC2's (availability zones from three botocore sessions, instance types from a large
    JSON file). ``moto.batch.utils`` and the one module it imports are loaded here under their own
    names, without their package; importing ``moto.batch`` later (a Batch request, a Batch task)
    runs the package as usual and finds these two modules already loaded."""
    if "moto.batch" in sys.modules or "moto.batch.utils" in sys.modules:
        return
    import moto

    folder = Path(moto.__file__).parent / "batch"
    for name in ("exceptions", "utils"):  # utils imports exceptions
        spec = importlib.util.spec_from_file_location(f"moto.batch.{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)


def _package_listing_is_read_once() -> None:
    """moto finds each request's service by listing its own package folder (a ``stat`` per
    service, about 180, while holding the dispatcher's lock) to see if the host names one."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _method_names_are_listed_once_per_class() -> None:
    """moto checks that a request's action is a method of the response class with
    ``inspect.getmembers`` on every request."""
    from moto.core import responses

    cache: dict = {}

    def method_names_from_class(clazz) -> list[str]:
        # Keyed on the size of each class's namespace too: a method added later is noticed.
        key = (clazz, tuple(len(vars(base)) for base in inspect.getmro(clazz)))
        names = cache.get(key)
        if names is None:
            names = [name for name, _ in inspect.getmembers(clazz, inspect.isfunction)]
            cache[key] = names
        return names

    responses.method_names_from_class = method_names_from_class


def _json_paths_are_parsed_once() -> None:
    """The Step Functions interpreter parses a JSONPath (``ResultPath``, ``InputPath``,
    ``Parameters``' ``.$`` fields...) on every evaluation, and ``jsonpath_ng.parse`` builds a
    whole parser each time. A parsed path is never modified, so one per path string serves all."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (result_path, json_path):
        module.parse = functools.lru_cache(maxsize=4096)(module.parse)


def _map_iterations_run_on_their_worker_thread() -> None:
    """moto runs every program in a thread of its own and waits for it, so that it can give up
    when the program's ``TimeoutSeconds`` passes. A Map iteration's program (an ``ItemProcessor``
    or ``Iterator``) cannot have a ``TimeoutSeconds``, and the Map worker calling it only waits,
    so its thread was a thread start per item for nothing: the iteration runs on the worker."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.program.program import Program

    original = Program.eval

    def eval(self, env):  # noqa: A001 - moto's name
        if self.timeout_seconds or not env.is_frame():
            return original(self, env)
        env.next_state_name = self.start_at.start_at_name
        EvalComponent.eval(self, env)

    Program.eval = eval


class ThreadList(list):
    """moto's ``TMP_THREADS``, which moto only appends to and nothing reads: every
    ``PRUNE_EVERY`` appends, threads that have finished are dropped."""

    PRUNE_EVERY = 1000

    def append(self, thread) -> None:
        super().append(thread)
        if len(self) % self.PRUNE_EVERY == 0:
            self[:] = [kept for kept in self if kept.is_alive()]


def _finished_threads_are_forgotten() -> None:
    """Replace ``TMP_THREADS`` in moto's interpreter modules with a ``ThreadList``."""
    from moto.stepfunctions.parser import utils

    from sfn_tutorial.emulator.patching import replace_everywhere

    replace_everywhere(utils, "TMP_THREADS", ThreadList(utils.TMP_THREADS))
