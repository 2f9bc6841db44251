"""Two places where moto's server spends most of a request's time, made cheap.

Measured with cProfile on a warm ``lambda.invoke`` through the emulator's HTTP server: before these
fixes, finding the request's service took about 60% of the request, and listing the response
class's methods another 10%. Neither answer can change while the server runs (unless a fix adds a
method to a response class, which the second cache notices), so each is computed once.
"""

from __future__ import annotations

import inspect


def apply() -> None:
    """Cache moto's package listing and each response class's method names."""
    _package_listing_is_read_once()
    _method_names_are_listed_once_per_class()


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
