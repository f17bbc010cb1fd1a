"""Keep modules `wallet verify` never uses out of its process: start-up is most of its cost."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

if TYPE_CHECKING:
    from importlib.abc import Loader

# PyLD builds a network document loader when it is imported, from `requests` (installed with
# the test tools) or else `aiohttp`. Verification never uses it: every JSON-LD call passes the
# offline loader of bundled contexts. Hidden, they leave PyLD a default loader that refuses
# every URL, and spare about 50 ms.
HIDDEN = ("requests", "aiohttp")

# PyLD imports these eagerly for features verification never reaches: its asyncio and file
# document loaders (asyncio and urllib.request, about 30 ms) and JSON-LD script extraction from
# HTML (lxml.html, about 8 ms). Our loader returns bundled JSON-LD only, never HTML or a file.
STAND_INS = ("pyld.documentloader.aiohttp", "pyld.documentloader.file", "lxml.html")


class StandIn(types.ModuleType):
    """A module that was not loaded: every name it is asked for raises ImportError when used."""

    def __getattr__(self, name: str) -> Any:
        """Return a callable that refuses, so binding the name works and using it fails."""
        if name.startswith("__"):
            raise AttributeError(name)
        return _refusal(f"{self.__name__}.{name}")


def _refusal(qualified: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ImportError(f"{qualified} is not loaded in `wallet verify`")

    return refuse


class _StandInFinder:
    """Answers imports of the STAND_INS with a StandIn, through the import system itself (so
    the parent package gets its attribute, as for a real submodule)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        """Return a spec for a stand-in, or None to let the other finders look."""
        return ModuleSpec(fullname, cast("Loader", self)) if fullname in STAND_INS else None

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        """Create the stand-in module."""
        return StandIn(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the stand-in has no code."""


def keep_lean() -> None:
    """Hide and stand in for the modules above; those this process already imported stay."""
    for name in HIDDEN:
        if name not in sys.modules:
            # None in sys.modules is the documented way to make an import fail.
            sys.modules[name] = None  # type: ignore[assignment]
    if not any(isinstance(finder, _StandInFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StandInFinder())
