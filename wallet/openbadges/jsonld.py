"""JSON-LD over bundled contexts only: offline loader, safe-mode checks, bounded RDFC-1.0."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import cast

from pyld import jsonld as _pyld
from pyld.nquads import serialize_nquad

from wallet.openbadges.bounded_pyld import BoundedURDNA2015
from wallet.openbadges.bounded_pyld import Budget
from wallet.openbadges.bounded_pyld import BudgetedProcessor
from wallet.openbadges.bounded_pyld import BudgetExceeded
from wallet.openbadges.context_bundle import ContextUnavailable
from wallet.openbadges.context_bundle import JsonLdError
from wallet.openbadges.context_bundle import UnknownContext
from wallet.openbadges.context_bundle import document_loader
from wallet.openbadges.context_bundle import is_known_context
from wallet.openbadges.context_bundle import known_context_urls
from wallet.openbadges.context_bundle import load_context

__all__ = [
    "Analysis",
    "Budget",
    "BudgetExceeded",
    "Canonical",
    "ContextUnavailable",
    "JsonLdError",
    "UnknownContext",
    "analyse",
    "canonical",
    "canonize",
    "canonize_dataset",
    "canonize_relabelled",
    "compact",
    "context_urls",
    "describe_findings",
    "document_loader",
    "expand",
    "is_known_context",
    "known_context_urls",
    "load_context",
]

# PyLD resolves relative IRIs against this even when told base="" (see notes §7.4).
PYLD_DEFAULT_BASE = cast(str, getattr(_pyld, "DEFAULT_BASE_IRI", "http://example.org/base/"))


def _options(**extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"documentLoader": document_loader, "base": ""}
    options.update(extra)
    return options


def _unwrap(exc: BaseException) -> JsonLdError:
    """Find our own exception inside PyLD's wrapping, or describe the failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, JsonLdError):
            return current
        details = getattr(current, "details", None)
        if isinstance(details, dict):
            cause = details.get("cause")
            if isinstance(cause, BaseException):
                current = cause
                continue
        current = current.__cause__ or current.__context__
    return JsonLdError(f"JSON-LD processing failed: {str(exc)[:200]}")


def _count_nodes(value: Any, limit: int) -> int:
    """Count JSON containers up to ``limit`` (a cheap screen before any JSON-LD work)."""
    stack = [value]
    count = 0
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += 1
            stack.extend(item.values())
        elif isinstance(item, list):
            count += 1
            stack.extend(item)
        if count > limit:
            break
    return count


def context_urls(document: Any) -> list[str]:
    """Return the context URLs a document names at its top level (strings only)."""
    if not isinstance(document, dict):
        return []
    ctx = document.get("@context")
    items = ctx if isinstance(ctx, list) else [ctx]
    return [item for item in items if isinstance(item, str)]


@dataclass(frozen=True)
class Analysis:
    """One expansion of a document: its RDF dataset and the safe-mode findings."""

    dataset: dict[str, Any]
    dropped: tuple[str, ...]
    relative_types: tuple[str, ...]

    @property
    def safe(self) -> bool:
        """Return True when nothing was dropped and no type is relative."""
        return not self.dropped and not self.relative_types


def _relative_types(expanded: Any) -> list[str]:
    found: list[str] = []
    stack = [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@type":
                    for type_ in value if isinstance(value, list) else [value]:
                        if isinstance(type_, str) and (
                            type_.startswith(PYLD_DEFAULT_BASE) or ":" not in type_
                        ):
                            found.append(type_.removeprefix(PYLD_DEFAULT_BASE))
                elif key != "@value":
                    stack.append(value)
    return found


def analyse(document: dict[str, Any], budget: Budget | None = None) -> Analysis:
    """Expand ``document`` once with the bundled contexts; return dataset and safe-mode findings.

    Raises UnknownContext, BudgetExceeded or JsonLdError.
    """
    budget = (budget or Budget()).start()
    if _count_nodes(document, budget.max_quads) > budget.max_quads:
        raise BudgetExceeded("document has too many nodes")
    for url in context_urls(document):
        if not is_known_context(url):
            raise UnknownContext(url)
    dropped: list[str] = []
    processor = BudgetedProcessor(
        budget, on_property_dropped=lambda prop: dropped.append(str(prop))
    )
    options = _options()
    options["contextResolver"] = _pyld.ContextResolver(
        _pyld._resolved_context_cache, document_loader
    )
    options.setdefault("extractAllScripts", True)
    options.setdefault("processingMode", "json-ld-1.1")
    try:
        expanded = processor.expand(document, options)
        issuer = _pyld.IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        processor._create_node_map(expanded, node_map, "@default", issuer)
        options["produceGeneralizedRdf"] = False
        dataset: dict[str, Any] = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default" or _pyld._is_absolute_iri(graph_name):
                dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    except JsonLdError:
        raise
    except Exception as exc:  # PyLD raises assorted types for malformed input
        raise _unwrap(exc) from exc
    if sum(len(triples) for triples in dataset.values()) > budget.max_quads:
        raise BudgetExceeded("too many RDF statements")
    return Analysis(
        dataset=dataset,
        dropped=tuple(sorted(set(dropped))),
        relative_types=tuple(sorted(set(_relative_types(expanded)))),
    )


def canonize_dataset(dataset: dict[str, Any], budget: Budget | None = None) -> str:
    """Return the RDFC-1.0 (URDNA2015) canonical N-Quads of a PyLD dataset."""
    budget = (budget or Budget()).start()
    try:
        result = BoundedURDNA2015(budget).main(
            copy.deepcopy(dataset), {"format": "application/n-quads"}
        )
    except JsonLdError:
        raise
    except Exception as exc:
        raise _unwrap(exc) from exc
    return cast(str, result)


def canonize_relabelled(
    dataset: dict[str, Any], labels: Mapping[str, str], budget: Budget | None = None
) -> list[str]:
    """Return a dataset's RDFC-1.0 N-Quads as sorted lines, canonical blank nodes relabelled.

    ``labels`` maps a canonical label (``c14n0``) to its replacement (no ``_:`` prefix), as
    the selective-disclosure suites need. The relabelling works on the canonical quads, not
    on text, so nothing inside a literal or an IRI can be mistaken for a label. Raises
    LookupError for a canonical label ``labels`` does not cover.
    """
    budget = (budget or Budget()).start()
    algorithm = BoundedURDNA2015(budget)
    try:
        algorithm.main(copy.deepcopy(dataset), {"format": "application/n-quads"})
    except JsonLdError:
        raise
    except Exception as exc:
        raise _unwrap(exc) from exc
    lines: list[str] = []
    # After main() every blank node in algorithm.quads carries its canonical label.
    for quad in algorithm.quads:
        relabelled: dict[str, Any] = {}
        for key, component in quad.items():
            if key != "predicate" and component.get("type") == "blank node":
                label = str(component["value"]).removeprefix("_:")
                if label not in labels:
                    raise LookupError(label)
                component = {**component, "value": "_:" + labels[label]}
            relabelled[key] = component
        lines.append(cast(str, serialize_nquad(relabelled)))
    budget.check()
    return sorted(lines)


def canonize(document: dict[str, Any], budget: Budget | None = None) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document (bundled contexts only)."""
    budget = (budget or Budget()).start()
    return canonize_dataset(analyse(document, budget).dataset, budget)


@dataclass(frozen=True)
class Canonical:
    """A document's RDFC-1.0 N-Quads together with its safe-mode findings."""

    nquads: str
    dropped: tuple[str, ...]
    relative_types: tuple[str, ...]


_CANONICAL_CACHE: OrderedDict[str, Canonical] = OrderedDict()
_LOCK = threading.Lock()
CANONICAL_CACHE_SIZE = 256


def canonical(document: dict[str, Any], budget: Budget | None = None) -> Canonical:
    """Analyse and canonicalise ``document``, remembering recent results.

    The result depends only on the JSON value and the hash-pinned contexts, so the same
    stored badge verified again (every view of a public page) skips the JSON-LD work.
    """
    try:
        key = hashlib.sha256(
            json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
        ).hexdigest()
    except (TypeError, ValueError) as exc:
        raise JsonLdError("document is not plain JSON") from exc
    with _LOCK:
        cached = _CANONICAL_CACHE.get(key)
        if cached is not None:
            _CANONICAL_CACHE.move_to_end(key)
            return cached
    budget = (budget or Budget()).start()
    analysis = analyse(document, budget)
    result = Canonical(
        nquads=canonize_dataset(analysis.dataset, budget),
        dropped=analysis.dropped,
        relative_types=analysis.relative_types,
    )
    with _LOCK:
        _CANONICAL_CACHE[key] = result
        while len(_CANONICAL_CACHE) > CANONICAL_CACHE_SIZE:
            _CANONICAL_CACHE.popitem(last=False)
    return result


def expand(document: Any) -> list[Any]:
    """Expand a JSON-LD document with the bundled contexts only."""
    try:
        return cast(list[Any], _pyld.expand(document, _options()))
    except Exception as exc:
        raise _unwrap(exc) from exc


def compact(document: Any, context: Any) -> dict[str, Any]:
    """Compact a JSON-LD document to ``context`` (a URL or object) with bundled contexts only."""
    try:
        return cast(dict[str, Any], _pyld.compact(document, context, _options()))
    except Exception as exc:
        raise _unwrap(exc) from exc


def describe_findings(analysis: Analysis, limit: int = 5) -> str:
    """Return a short English note naming dropped terms and relative types."""
    parts: list[str] = []

    def _names(values: Iterable[str]) -> str:
        items = list(values)
        shown = ", ".join(items[:limit])
        return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")

    if analysis.dropped:
        parts.append("terms not defined by the contexts: " + _names(analysis.dropped))
    if analysis.relative_types:
        parts.append("types not defined by the contexts: " + _names(analysis.relative_types))
    return "; ".join(parts)
