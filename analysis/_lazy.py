"""Lazy re-export of a package's public names, so that importing a package never starts torch."""

from __future__ import annotations

import importlib


def lazy_api(package: str, api: dict[str, str]):
    """``(__all__, __getattr__, __dir__)`` for a package whose public ``name`` lives in module ``api[name]``.

    Args:
        package: The package's ``__name__``.
        api: Public name -> module (relative to ``package``) that defines it.
    """
    names = sorted(api)

    def __getattr__(name: str):
        if name in api:
            module = importlib.import_module(f"{package}.{api[name]}")
            value = getattr(module, name)
            setattr(importlib.import_module(package), name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(names) | set(vars(importlib.import_module(package))))

    return names, __getattr__, __dir__
