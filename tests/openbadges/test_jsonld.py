"""Offline JSON-LD: bundled contexts only, RDFC-1.0 canonical form, safe mode, work budget."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from wallet.openbadges import context_bundle
from wallet.openbadges import jsonld

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
SPEC = VECTORS / "1EdTech-openbadges-specification"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _doc(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "@context": [VC_V2, OB],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example/", "type": ["Profile"], "name": "I"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "type": ["AchievementSubject"]},
    }
    doc.update(extra)
    return doc


def test_every_manifest_context_is_installed_and_matches_its_hash() -> None:
    manifest = json.loads(context_bundle.MANIFEST_PATH.read_text(encoding="utf-8"))
    required = [u for u, e in manifest["contexts"].items() if not e.get("optional")]
    assert VC_V2 in required and OB in required
    for url in required:
        entry = manifest["contexts"][url]
        data = (context_bundle.CONTEXT_DIR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], url
        assert isinstance(jsonld.load_context(url), dict)


def test_current_ob_context_defines_jti_and_endorsement_jwt() -> None:
    context = jsonld.load_context(OB)["@context"]
    assert "jti" in context and "endorsementJwt" in context


def test_unknown_context_raises_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    doc = _doc()
    doc["@context"] = [VC_V2, OB, "https://evil.example/context.json"]
    with pytest.raises(jsonld.UnknownContext) as info:
        jsonld.analyse(doc)
    assert info.value.url == "https://evil.example/context.json"
    with pytest.raises(jsonld.UnknownContext):
        jsonld.document_loader("http://127.0.0.1:8080/x")


def test_imported_unknown_context_inside_inline_context_is_refused() -> None:
    doc = _doc()
    doc["@context"] = [VC_V2, OB, {"@import": "https://evil.example/c.json"}]
    with pytest.raises(jsonld.JsonLdError):
        jsonld.analyse(doc)


def test_clean_document_is_safe() -> None:
    analysis = jsonld.analyse(_doc())
    assert analysis.safe
    assert analysis.dataset["@default"]


def test_undefined_term_is_reported_as_dropped() -> None:
    doc = _doc()
    subject = dict(doc["credentialSubject"])  # type: ignore[call-overload]
    subject["passNumberUndefined"] = "123"
    doc["credentialSubject"] = subject
    analysis = jsonld.analyse(doc)
    assert analysis.dropped == ("passNumberUndefined",)
    assert not analysis.safe
    assert "passNumberUndefined" in jsonld.describe_findings(analysis)


def test_relative_type_is_reported() -> None:
    doc = _doc(credentialStatus={"id": "https://s.example/1", "type": "StatusList2021Entry"})
    analysis = jsonld.analyse(doc)
    assert "StatusList2021Entry" in analysis.relative_types


def test_canonical_form_is_independent_of_key_order() -> None:
    doc = _doc()
    reordered = dict(reversed(list(doc.items())))
    assert jsonld.canonize(doc) == jsonld.canonize(reordered)
    assert jsonld.canonize(doc).endswith("\n")


@pytest.mark.skipif(not SPEC.is_dir(), reason="shared vectors folder absent")
def test_1edtech_golden_vector_canonical_form_and_hashes() -> None:
    base = SPEC / "_extracted/ob_v3p0/impl/linked-data-proof-ob"
    doc = json.loads((base / "signed-credential.json").read_text(encoding="utf-8"))
    proof = doc.pop("proof")
    proof.pop("proofValue")
    proof["@context"] = doc["@context"]
    canon_doc = jsonld.canonize(doc)
    canon_proof = jsonld.canonize(proof)
    vectors = SPEC / "ob_v3p0/impl/test-vectors/obv3p0"
    assert canon_doc == (vectors / "document-canon.txt").read_text(encoding="utf-8")
    assert canon_proof == (vectors / "proof-canon.txt").read_text(encoding="utf-8")
    assert hashlib.sha256(canon_doc.encode()).hexdigest().startswith("87f65a76")
    assert hashlib.sha256(canon_proof.encode()).hexdigest().startswith("d34009ce")


def test_blank_node_clique_is_stopped_by_the_budget() -> None:
    size = 12
    nodes = [
        {
            "@id": f"_:n{i}",
            "http://ex.example/p": [{"@id": f"_:n{j}"} for j in range(size) if j != i],
        }
        for i in range(size)
    ]
    with pytest.raises(jsonld.BudgetExceeded):
        jsonld.canonize({"@graph": nodes})


def test_too_many_nodes_refused_before_expansion() -> None:
    doc = _doc(evidence=[{"id": f"https://e.example/{i}"} for i in range(12_000)])
    with pytest.raises(jsonld.BudgetExceeded):
        jsonld.analyse(doc)


def test_budget_deadline_is_cpu_time_and_a_started_budget_keeps_it() -> None:
    budget = jsonld.Budget(seconds=-1.0).start()
    deadline = budget.deadline
    assert budget.start().deadline == deadline  # sharing it never restarts the clock
    with pytest.raises(jsonld.BudgetExceeded):
        budget.check()
    with pytest.raises(jsonld.BudgetExceeded):
        budget.tick()
    idle = jsonld.Budget(seconds=0.05).start()
    time.sleep(0.1)  # waiting spends no CPU: the budget is for work
    idle.check()


def _quadratic_credential(nodes: int) -> dict[str, object]:
    """A credential whose one inline term holds many blank nodes PyLD de-duplicates pairwise."""
    doc = _doc()
    doc["@context"] = [*doc["@context"], {"x": {"@id": "https://ex.example/x"}}]
    doc["credentialSubject"]["x"] = [{"name": str(i)} for i in range(nodes)]
    return doc


def test_expansion_and_node_mapping_stop_when_the_budget_is_spent() -> None:
    # Without the budget this document holds a worker for seconds (quadratic node mapping).
    with pytest.raises(jsonld.BudgetExceeded):
        jsonld.analyse(_quadratic_credential(3000), jsonld.Budget(seconds=0.05))
    # The same budget object is spent for whatever follows in the same verification.
    shared = jsonld.Budget(seconds=0.05).start()
    with pytest.raises(jsonld.BudgetExceeded):
        jsonld.analyse(_quadratic_credential(3000), shared)
    with pytest.raises(jsonld.BudgetExceeded):
        jsonld.analyse(_doc(), shared)


def test_compact_ob2_with_bundled_context() -> None:
    v2 = "https://w3id.org/openbadges/v2"
    if not jsonld.is_known_context(v2):
        pytest.skip("OB 2.0 context not bundled")
    try:
        jsonld.load_context(v2)
    except jsonld.ContextUnavailable:
        pytest.skip("optional OB 2.0 context not installed (shared vectors absent)")
    doc = {"@context": v2, "id": "https://e.example/a", "type": "Assertion", "issuedOn": "2020"}
    compacted = jsonld.compact(doc, v2)
    assert compacted["type"] == "Assertion"
    assert compacted["id"] == "https://e.example/a"


def test_damaged_bundled_context_fails_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "ctx.jsonld").write_text('{"@context": {"name": "http://evil.example/n"}}')
    url = "https://bundled.example/ctx"
    entry = context_bundle._Entry(file="ctx.jsonld", sha256="0" * 64)
    monkeypatch.setattr(context_bundle, "CONTEXT_DIR", tmp_path)
    monkeypatch.setitem(context_bundle._MANIFEST, url, entry)
    with pytest.raises(jsonld.ContextUnavailable):
        jsonld.load_context(url)
    missing = context_bundle._Entry(file="absent.jsonld", sha256="0" * 64)
    monkeypatch.setitem(context_bundle._MANIFEST, url + "2", missing)
    with pytest.raises(jsonld.ContextUnavailable):
        jsonld.load_context(url + "2")


def test_canonical_results_are_remembered_per_exact_json_value() -> None:
    doc = _doc()
    first = jsonld.canonical(doc)
    assert jsonld.canonical(dict(reversed(list(doc.items())))) is first
    assert first.nquads == jsonld.canonize(doc)
    changed = _doc(validFrom="2026-01-02T00:00:00Z")
    assert jsonld.canonical(changed).nquads != first.nquads
    undefined = _doc(notATerm=1)
    assert jsonld.canonical(undefined).dropped == ("notATerm",)


def test_canonize_relabelled_replaces_blank_node_labels_only() -> None:
    doc = {
        "@context": {"@vocab": "https://example.org/v#"},
        "@id": "https://example.org/a",
        "note": "_:c14n0 is text here, not a node",
        "child": {"name": "b", "grandchild": {"name": "c"}},
    }
    dataset = jsonld.analyse(doc).dataset
    plain = jsonld.canonize(doc)
    assert "_:c14n1" in plain
    lines = jsonld.canonize_relabelled(dataset, {"c14n0": "zz", "c14n1": "aa"})
    assert "".join(sorted(lines)) == "".join(lines)  # sorted after relabelling
    text = "".join(lines)
    assert '"_:c14n0 is text here, not a node"' in text
    assert "_:zz " in text and "_:aa " in text and "_:c14n1" not in text
    assert sorted(lines) == sorted(
        plain.replace("_:c14n0 <", "_:zz <")
        .replace("> _:c14n0 .", "> _:zz .")
        .replace("_:c14n1", "_:aa")
        .splitlines(keepends=True)
    )
    with pytest.raises(LookupError):
        jsonld.canonize_relabelled(dataset, {"c14n0": "zz"})
