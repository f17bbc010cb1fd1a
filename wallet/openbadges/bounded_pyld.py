"""PyLD held to a work budget: CPU time, blank-node hash steps and permutation sizes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from pyld import jsonld as _pyld
from pyld.canon import URDNA2015

from wallet.openbadges.context_bundle import JsonLdError


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


class BudgetedProcessor(_pyld.JsonLdProcessor):  # type: ignore[misc]
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


class BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
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
