"""The face catalogue and its chromadb index, with real MiniLM embeddings."""

from collections import Counter

import pytest

from asset_index.build import build_indexes
from asset_index.faces import KIND, FaceRetriever, load_faces
from asset_index.vector_index import VectorIndex
from vocabulary.taxonomy import AGE_GROUPS, GENDERS


def test_every_gender_and_age_group_has_two_faces_with_varied_looks():
    faces = load_faces().faces
    counts = Counter((f.gender, age) for f in faces for age in f.ages)
    assert all(counts[g, a] >= 2 for g in GENDERS for a in AGE_GROUPS)
    assert len({f.appearance.skin for f in faces}) >= 12
    assert len({f.appearance.hair_style for f in faces}) >= 8
    assert {"wrinkles"} <= {
        feature for f in faces if "elderly" in f.ages for feature in f.appearance.features
    }


@pytest.mark.parametrize("gender", GENDERS)
@pytest.mark.parametrize("age", AGE_GROUPS)
def test_retrieval_returns_the_requested_gender_and_age_group(tmp_path_factory, gender, age):
    retriever = FaceRetriever(VectorIndex(tmp_path_factory.getbasetemp() / "faces-index"))
    retriever.ensure_index()
    face = retriever.retrieve(gender, age, "lonely")
    assert face["gender"] == gender and age in face["ages"] and face["reason"]


def test_the_index_build_covers_voices_and_faces(tmp_path):
    built = build_indexes(tmp_path / "index")
    assert built[KIND] == {"entries": len(load_faces().faces), "rebuilt": True}
    assert set(built) == {"voices", "faces"}
    assert not any(outcome["rebuilt"] for outcome in build_indexes(tmp_path / "index").values())
