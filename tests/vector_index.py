"""Read ../shared/vectors/INDEX.md: every vector file with an upstream (or stated) expectation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# The per-source tables; the _contexts table has other columns and no expectations.
TABLE_HEADER = "| file | source path | note | upstream test expectation |"

_VERDICT = re.compile(r"\b(Valid|Warning|Invalid)\b")
_COUNT = re.compile(r"\b(?:Error|Fatal)Count\((\d+)\)")


@dataclass(frozen=True)
class Vector:
    """One INDEX.md row: the file (relative to the vectors folder) and what is expected of it."""

    file: str
    expectation: str  # the INDEX cell as written (or the note for a _derived file)
    verdict: str  # "Valid", "Warning", "Invalid", or "Flagged" (a probe is named, no verdict)


def verdict_of(expectation: str) -> str:
    """Return the upstream verdict written in an expectation cell.

    ``testX: Valid`` / ``Warning`` / ``Invalid`` as written.  A cell without one of those words
    but with ``ErrorCount(n)`` or ``FatalCount(n)``, n > 0, is Invalid: the 1EdTech report is
    not valid when it holds an error.  A cell that only names a probe (``HasProbeID(...)``)
    states no verdict: "Flagged".
    """
    outcome = expectation.split(":", 1)[1] if ":" in expectation else expectation
    found = _VERDICT.search(outcome)
    if found:
        return found.group(1)
    if any(int(count) > 0 for count in _COUNT.findall(outcome)):
        return "Invalid"
    return "Flagged"


def _derived_verdict(note: str) -> str | None:
    # Synthetic files carry no upstream test; only a note that states the outcome counts.
    if re.search(r"\bMUST fail\b", note):
        return "Invalid"
    return None


def read_index(vectors: Path) -> list[Vector]:
    """Return every file of INDEX.md that has an upstream expectation or a stated outcome."""
    found: list[Vector] = []
    in_table = False
    for line in (vectors / "INDEX.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        if line.strip() == TABLE_HEADER:
            in_table = True
            continue
        if not in_table or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4:
            raise ValueError(f"unexpected INDEX.md row: {line}")
        file, _source, note, expectation = (cell.strip("`") for cell in cells)
        if expectation:
            found.append(Vector(file, expectation, verdict_of(expectation)))
        elif file.startswith("_derived/") and (verdict := _derived_verdict(note)):
            found.append(Vector(file, f"note: {note}", verdict))
    return found


# The deviations table: where this product's verdict rules differ from the upstream expectation.
DEVIATIONS_HEADER = "| file under "
RESULTS = ("valid", "invalid", "revoked", "expired", "not_yet_valid", "unverifiable")


@dataclass(frozen=True)
class Deviation:
    """One INDEX.md deviation row: the vector path, the upstream verdict, ours and why."""

    file: str
    upstream: str
    ours: str
    why: str


def read_deviations(vectors: Path) -> dict[str, Deviation]:
    """Return the deliberate deviations of INDEX.md by vector path (relative to the vectors)."""
    found: dict[str, Deviation] = {}
    prefix = ""
    in_table = False
    for line in (vectors / "INDEX.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(DEVIATIONS_HEADER):
            in_table = True
            prefix = line.split("`")[1] if "`" in line else ""
            continue
        if not in_table or line.startswith("|---"):
            continue
        if not line.startswith("|"):
            if found:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4:
            raise ValueError(f"unexpected deviation row: {line}")
        files, upstream, ours, why = cells
        ours = ours.split()[0]
        if ours not in RESULTS:
            raise ValueError(f"unknown result {ours!r} in deviation row: {line}")
        for name in re.findall(r"`([^`]+)`", files):
            found[prefix + name] = Deviation(prefix + name, upstream, ours, why)
    return found


VALIDATOR_RESOURCES = (
    "1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources/"
)

# Upstream Valid, ours not, for the reason of INDEX.md's deviations, but not in its table.
EXTRA_DEVIATIONS = {
    VALIDATOR_RESOURCES + "ob30/simple-did-web-method.json": Deviation(
        VALIDATOR_RESOURCES + "ob30/simple-did-web-method.json",
        "Valid (test DISABLED)",
        "unverifiable",
        "despite its name an `<issuer-url>#z6Mk…` method; issuer profile not available",
    ),
    VALIDATOR_RESOURCES + "ob30/bit-string-list/testlist": Deviation(
        VALIDATOR_RESOURCES + "ob30/bit-string-list/testlist",
        "Valid",
        "unverifiable",
        "the status list credential itself: `<issuer-url>#z6Mk…` method, no issuer profile",
    ),
    # Not in INDEX.md's table, written while ecdsa-sd-2023 was not implemented: its derived
    # proof verifies now, and what keeps it from `valid` is the key binding, as for the rest.
    VALIDATOR_RESOURCES + "ob30/sd/derivedcredential.json": Deviation(
        VALIDATOR_RESOURCES + "ob30/sd/derivedcredential.json",
        "Valid",
        "unverifiable",
        "ecdsa-sd-2023 derived proof by an `<issuer-url>#zDn…` (P-256) method; issuer profile "
        "not available",
    ),
}


def all_deviations(vectors: Path) -> dict[str, Deviation]:
    """Return INDEX.md's deviations and the extra ones, by path relative to the vectors."""
    return {**read_deviations(vectors), **EXTRA_DEVIATIONS}
