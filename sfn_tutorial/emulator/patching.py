"""How the emulator changes moto's code: the one helper every fix that replaces a name uses.

A fix usually wraps a method of one of moto's classes (``SomeClass.method = wrapper``). A
module-level function or object is harder: ``from module import name`` made copies of it in
other modules, and each copy must be replaced too.
"""

from __future__ import annotations

import sys


def replace_everywhere(home, name: str, value) -> None:
    """Replace ``home.name`` and every copy that ``from home import name`` made elsewhere."""
    original = getattr(home, name)
    for module in list(sys.modules.values()):
        if getattr(module, name, None) is original:
            setattr(module, name, value)
