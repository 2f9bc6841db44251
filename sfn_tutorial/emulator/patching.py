"""How the emulator changes moto's code: the helpers fixes use to replace a name, and to wait
for the module they change.

A fix usually wraps a method of one of moto's classes (``SomeClass.method = wrapper``). A
module-level function or object is harder: ``from module import name`` made copies of it in
other modules, and each copy must be replaced too. A fix to a large service (ECS, which imports
EC2) waits until moto first loads that service (``when_imported``), so an emulator that never
serves it never holds it in memory.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import sys
import threading


def replace_everywhere(home, name: str, value) -> None:
    """Replace ``home.name`` and every copy that ``from home import name`` made elsewhere."""
    original = getattr(home, name)
    for module in list(sys.modules.values()):
        if getattr(module, name, None) is original:
            setattr(module, name, value)


def when_imported(module_name: str, fix) -> None:
    """Call ``fix()`` once ``module_name`` is imported: now if it is, else right after its code
    first runs. A fix to a service the learner never uses then never loads that service (moto's
    server imports each service's backend on the first request for it)."""
    if module_name in sys.modules:
        fix()
        return
    _wait_for(module_name).after.append(fix)


def while_importing(module_name: str, context) -> None:
    """Run ``module_name``'s code, when it is first imported, inside ``context()`` (a context
    manager): for a module whose import itself does what it need not."""
    if module_name in sys.modules:
        raise RuntimeError(f"{module_name} is imported already")
    _wait_for(module_name).around.append(context)


class _Waiting:
    def __init__(self) -> None:
        self.around: list = []  # context managers to run the module's code in
        self.after: list = []  # fixes to call once it ran


_waiting: dict[str, _Waiting] = {}  # module name -> what waits for its import
_waiting_lock = threading.Lock()


def _wait_for(module_name: str) -> _Waiting:
    with _waiting_lock:
        if not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):
            sys.meta_path.insert(0, _AfterImport())
        return _waiting.setdefault(module_name, _Waiting())


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for a module something waits for, it lets the other finders find
    it, then runs its code as asked (``_FixingLoader``)."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in _waiting:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _FixingLoader(spec.loader)
                return spec
        return None


class _FixingLoader(importlib.abc.Loader):
    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        with _waiting_lock:
            waiting = _waiting.pop(module.__name__, _Waiting())
        with contextlib.ExitStack() as stack:
            for context in waiting.around:
                stack.enter_context(context())
            self._loader.exec_module(module)
        for fix in waiting.after:
            fix()


def before_first_served(services: tuple[str, ...], install) -> None:
    """Call ``install()`` (once) just before moto first serves one of ``services`` (its names:
    ``"apigateway"``, ``"cloudformation"``): a fix that needs a heavy part of moto imports it
    when a learner first uses the service, not when the emulator starts."""
    import threading

    from moto.moto_server import werkzeug_app

    original = werkzeug_app.create_backend_app
    lock = threading.Lock()
    done = threading.Event()

    def create_backend_app(service):
        if service in services and not done.is_set():
            with lock:
                if not done.is_set():
                    install()
                    done.set()
        return original(service)

    replace_everywhere(werkzeug_app, "create_backend_app", create_backend_app)
