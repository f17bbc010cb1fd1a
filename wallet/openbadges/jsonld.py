"""JSON-LD over bundled contexts only: offline loader, safe-mode checks, bounded RDFC-1.0."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import cast

from pyld import jsonld as _pyld
from pyld.canon import URDNA2015
from pyld.nquads import serialize_nquad

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"
MANIFEST_PATH = CONTEXT_DIR / "manifest.json"

# PyLD resolves relative IRIs against this even when told base="" (see notes §7.4).
PYLD_DEFAULT_BASE = cast(str, getattr(_pyld, "DEFAULT_BASE_IRI", "http://example.org/base/"))


class JsonLdError(Exception):
    """The document cannot be processed as JSON-LD (malformed, or over a limit)."""

    code = "jsonld.invalid"


class UnknownContext(JsonLdError):
    """A context URL that is not bundled: never fetched, so the document cannot be checked."""

    code = "jsonld.unknown_context"

    def __init__(self, url: str) -> None:
        super().__init__(f"context not bundled: {url[:200]}")
        self.url = url


class ContextUnavailable(UnknownContext):
    """A bundled context is listed but missing or damaged on disk (run fetch_contexts.py)."""

    code = "jsonld.context_unavailable"


class BudgetExceeded(JsonLdError):
    """The work budget for JSON-LD processing ran out (hostile or absurd graph)."""

    code = "jsonld.budget"


@dataclass
class Budget:
    """A cap on JSON-LD work: CPU seconds, quads, blank-node hash steps, permutation size.

    One budget is shared by every expansion, RDF conversion and canonicalisation of one
    verification; its clock is the thread's CPU time, so a loaded machine does not shorten it
    and no input can hold a worker much longer than ``seconds`` of computing.
    """

    seconds: float = 1.0
    max_quads: int = 10_000
    max_hash_steps: int = 2000
    # 7! permutations is ~0.1 s of PyLD work; 8! would already be about a second.
    max_related_group: int = 7
    deadline: float = field(default=0.0, init=False)
    steps: int = field(default=0, init=False)

    def start(self) -> Budget:
        """Start the clock unless it already runs (a shared budget keeps its deadline)."""
        if not self.deadline:
            self.deadline = time.thread_time() + self.seconds
        return self

    def check(self) -> None:
        """Raise BudgetExceeded when the CPU time is spent."""
        if self.deadline and time.thread_time() > self.deadline:
            raise BudgetExceeded("JSON-LD processing needed more than its time budget")

    def tick(self) -> None:
        """Count one blank-node hashing step; raise BudgetExceeded when over."""
        self.steps += 1
        if self.steps > self.max_hash_steps:
            raise BudgetExceeded("too many blank-node hashing steps")
        self.check()


class _BudgetedProcessor(_pyld.JsonLdProcessor):  # type: ignore[misc]
    """PyLD's processor, checking the budget at every element it expands or maps.

    Expansion and node mapping are where hostile documents spend their time (a property whose
    values PyLD de-duplicates pairwise is quadratic), and both recurse through these methods.
    """

    def __init__(self, budget: Budget, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._budget = budget

    def _expand(self, *args: Any, **kwargs: Any) -> Any:
        self._budget.check()
        return super()._expand(*args, **kwargs)

    def _create_node_map(self, *args: Any, **kwargs: Any) -> Any:
        self._budget.check()
        return super()._create_node_map(*args, **kwargs)

    def _process_context(self, *args: Any, **kwargs: Any) -> Any:
        self._budget.check()
        return super()._process_context(*args, **kwargs)


@dataclass(frozen=True)
class _Entry:
    file: str
    sha256: str


def _read_manifest() -> dict[str, _Entry]:
    try:
        raw = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        url: _Entry(file=str(entry["file"]), sha256=str(entry["sha256"]))
        for url, entry in raw.get("contexts", {}).items()
    }


_MANIFEST = _read_manifest()
_DOCUMENTS: dict[str, Any] = {}
_LOCK = threading.RLock()


def known_context_urls() -> frozenset[str]:
    """Return every context URL the bundle can answer (installed or not)."""
    return frozenset(_MANIFEST)


def is_known_context(url: str) -> bool:
    """Return True when ``url`` is a bundled context."""
    return url in _MANIFEST


def load_context(url: str) -> Any:
    """Return the parsed bundled context document for ``url`` (sha256-checked once)."""
    cached = _DOCUMENTS.get(url)
    if cached is not None:
        return cached
    entry = _MANIFEST.get(url)
    if entry is None:
        raise UnknownContext(url)
    with _LOCK:
        cached = _DOCUMENTS.get(url)
        if cached is not None:
            return cached
        try:
            data = (CONTEXT_DIR / entry.file).read_bytes()
        except OSError as exc:
            raise ContextUnavailable(url) from exc
        # Fail closed: a context that differs from the pinned one changes what was signed.
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise ContextUnavailable(url)
        document = json.loads(data)
        _DOCUMENTS[url] = document
        return document


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """PyLD document loader answering only bundled contexts; anything else raises."""
    document = load_context(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        # PyLD keeps resolved contexts in its process-wide cache only when tagged "static";
        # bundled contexts are immutable (hash-pinned), so they are processed once per process.
        "tag": "static",
        # PyLD may keep and mutate what it is given; the cache must stay pristine.
        "document": copy.deepcopy(document),
    }


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
        if url not in _MANIFEST:
            raise UnknownContext(url)
    dropped: list[str] = []
    processor = _BudgetedProcessor(
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


class _BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
    """URDNA2015 (= RDFC-1.0) that gives up when the budget runs out."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self._budget = budget

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        """Count a step, then hash as URDNA2015 does."""
        self._budget.tick()
        return super().hash_n_degree_quads(id_, issuer)

    def create_hash_to_related(self, id_: str, issuer: Any) -> Any:
        """Count a step and refuse factorial permutation groups."""
        self._budget.tick()
        related = super().create_hash_to_related(id_, issuer)
        # The permutation step is factorial in the size of a group of indistinguishable
        # blank nodes: refuse big groups before iterating over them.
        if any(len(nodes) > self._budget.max_related_group for nodes in related.values()):
            raise BudgetExceeded("too many indistinguishable blank nodes")
        return related


def canonize_dataset(dataset: dict[str, Any], budget: Budget | None = None) -> str:
    """Return the RDFC-1.0 (URDNA2015) canonical N-Quads of a PyLD dataset."""
    budget = (budget or Budget()).start()
    try:
        result = _BoundedURDNA2015(budget).main(
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
    algorithm = _BoundedURDNA2015(budget)
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
