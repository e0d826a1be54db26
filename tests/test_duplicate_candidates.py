"""`kg add` looks for likely duplicates among the stored cases that could pair with the new ones
only; it must find exactly the pairs a comparison with every stored case finds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.generate import generate_case, load_vocabulary, to_yaml
from kg.build import build_graph
from kg.cases import candidate_profiles, stored_profiles
from kg.curation.duplicates import CaseProfile, find_likely_duplicates
from kg.store import EmbeddedStore

STORED = 60


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """A store of generated cases (sexes, ages, tumour types and findings as the benchmark's)."""
    folder = tmp_path_factory.mktemp("cases")
    vocab = load_vocabulary()
    for index in range(STORED):
        data, summary = generate_case(index, seed=5, vocab=vocab)
        (folder / f"{summary.case_id}.yaml").write_text(to_yaml(data), encoding="utf-8")
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("store")))
    build_graph(store, folder)
    return store


def _incoming(stored: list[CaseProfile]) -> list[CaseProfile]:
    """New cases made from stored ones: copies just inside and just outside each rule."""
    made = []
    for n, profile in enumerate(p for p in stored if p.sex in ("female", "male")):
        assert profile.age is not None
        other_sex = "male" if profile.sex == "female" else "female"
        made += [
            replace(profile, case_id=f"new-{n}-same"),
            replace(profile, case_id=f"new-{n}-older", age=profile.age + 1.0),  # at the limit
            replace(profile, case_id=f"new-{n}-too-old", age=profile.age + 1.5),
            replace(profile, case_id=f"new-{n}-sex", sex=other_sex),
            replace(profile, case_id=f"new-{n}-unknown", sex="unknown"),
            replace(profile, case_id=f"new-{n}-no-age", age=None),
            replace(profile, case_id=f"new-{n}-other-tumour", tumours=frozenset({"BRCA"})),
        ]
        if n == 5:
            break
    return made


def test_candidates_give_the_pairs_that_every_stored_case_gives(
    synthetic_store: EmbeddedStore,
) -> None:
    every = stored_profiles(synthetic_store)
    incoming = _incoming(every)
    candidates = candidate_profiles(synthetic_store, incoming)
    expected = find_likely_duplicates(incoming, every)
    assert find_likely_duplicates(incoming, candidates) == expected
    with_stored = {  # the new case of each pair that has a stored case in it
        pair.first.case_id if pair.second.case_id.startswith("syn-") else pair.second.case_id
        for pair in expected
        if pair.first.case_id.startswith("syn-") or pair.second.case_id.startswith("syn-")
    }
    # the copies inside the rules pair with their stored originals, those outside do not
    assert {f"new-{n}-same" for n in range(6)} <= with_stored
    assert {f"new-{n}-older" for n in range(6)} <= with_stored
    outside = ("-too-old", "-sex", "-unknown", "-no-age", "-other-tumour")
    assert not {case for case in with_stored if case.endswith(outside)}
    assert len(candidates) < len(every)  # only the stored cases that could pair were read


def test_no_candidates_for_cases_that_cannot_pair(synthetic_store: EmbeddedStore) -> None:
    profile = stored_profiles(synthetic_store)[0]
    unmatched = [replace(profile, case_id="x", age=None), replace(profile, sex="unknown")]
    assert candidate_profiles(synthetic_store, unmatched) == []
