"""The voice catalogue and its chromadb index, with real MiniLM embeddings."""

import json

import pytest

from asset_index.build import build_indexes
from asset_index.vector_index import VectorIndex
from asset_index.voices import KIND, Catalogue, VoiceRetriever, index_entries, load_catalogue
from vocabulary.taxonomy import AGE_GROUPS, GENDERS, TIMBRES


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    retriever = VoiceRetriever(VectorIndex(tmp_path_factory.mktemp("index")))
    retriever.ensure_index()
    return retriever


def test_the_catalogue_covers_every_gender_and_age_group_and_timbre():
    catalogue = load_catalogue()
    covered = {(v.gender, age) for v in catalogue.voices for age in v.ages}
    assert covered == {(g, a) for g in GENDERS for a in AGE_GROUPS}
    assert {t for v in catalogue.voices for t in v.timbres} == set(TIMBRES)
    assert all(v.description and v.accent in ("American", "British") for v in catalogue.voices)


@pytest.mark.parametrize("gender", GENDERS)
@pytest.mark.parametrize("age", AGE_GROUPS)
def test_retrieval_returns_the_requested_gender_and_age_group(retriever, gender, age):
    voice = retriever.retrieve(gender, age, "soft", "sad")
    assert voice["gender"] == gender and age in voice["ages"]
    assert gender in voice["reason"] and age in voice["reason"]


def test_every_timbre_is_reachable(retriever):
    reached = set()
    for timbre in TIMBRES:
        for gender in GENDERS:
            for age in AGE_GROUPS:
                if timbre in retriever.retrieve(gender, age, timbre, "content")["timbres"]:
                    reached.add(timbre)
    assert reached == set(TIMBRES)


def test_emotion_changes_the_ranking_within_a_profile(retriever):
    """Among young women's voices, celebration, terror and loneliness are not all answered alike."""
    picks = {
        retriever.retrieve("female", "young adults", "soft", e)["id"]
        for e in ("excited", "terrified", "lonely")
    }
    assert len(picks) >= 2


def test_building_is_idempotent_and_persistent(tmp_path):
    first = build_indexes(tmp_path / "index")
    again = build_indexes(tmp_path / "index")
    assert first[KIND] == {"entries": len(load_catalogue().voices), "rebuilt": True}
    assert again[KIND]["rebuilt"] is False
    assert build_indexes(tmp_path / "index", force=True)[KIND]["rebuilt"] is True


def test_a_changed_catalogue_is_rebuilt_without_stale_voices(tmp_path):
    catalogue = load_catalogue()
    index = VectorIndex(tmp_path / "index")
    index.build(KIND, index_entries(catalogue))
    smaller = Catalogue(voices=catalogue.voices[1:], delivery_styles={})
    assert not index.is_current(KIND, index_entries(smaller))
    assert index.build(KIND, index_entries(smaller))
    found = {m.id for m in index.query(KIND, "warm voice", limit=100)}
    assert catalogue.voices[0].id not in found and len(found) == len(smaller.voices)


def test_the_catalogue_rejects_unknown_values(tmp_path):
    raw = json.loads(load_catalogue.__wrapped__().model_dump_json())
    raw["voices"][0]["timbres"] = ["squeaky"]
    with pytest.raises(ValueError, match="timbres"):
        Catalogue(**raw)


def test_the_index_command_builds_then_reports_up_to_date(home):
    from ui.cli import main

    assert main(["index", "build"]) == 0
    assert (home / "index").is_dir()
    assert VectorIndex(home / "index").is_current(KIND, index_entries(load_catalogue()))


def test_a_damaged_index_is_rebuilt_from_the_catalogue_when_it_is_next_opened(home):
    import subprocess
    import sys

    pick = (
        "from settings import Settings\nfrom tools import voice_library\n"
        "tool = voice_library.create(Settings())\n"
        "print(tool.invoke({'profile': {'gender': 'female', 'age': 'young adults', 'timbre': 'soft'}, 'emotion': 'sad'})['voice']['id'])"
    )

    def run():
        return subprocess.run([sys.executable, "-c", pick], capture_output=True, text=True, timeout=300)

    first = run()
    assert first.returncode == 0, first.stderr
    (home / "index" / "chroma.sqlite3").write_bytes(b"not a database " * 1000)
    again = run()
    assert again.returncode == 0 and again.stdout == first.stdout  # the same voice, from a rebuilt index
    assert "rebuilt from the catalogues" in again.stderr


def test_a_query_that_fails_in_a_running_process_rebuilds_the_index_and_still_answers(home, monkeypatch):
    import sqlite3

    from settings import Settings
    from tools import voice_library

    tool = voice_library.create(Settings())
    args = {"profile": {"gender": "male", "age": "elderly", "timbre": "deep"}, "emotion": "sad"}
    first = tool.invoke(args)["voice"]["id"]
    index = tool.retriever().index
    real, failed, repaired = index.query, [], []
    real_repair = index.repair

    def damaged(*a, **k):  # what chromadb raises when its database file is damaged under it
        if not failed:
            failed.append(True)
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real(*a, **k)

    monkeypatch.setattr(index, "query", damaged)
    monkeypatch.setattr(index, "repair", lambda: (repaired.append(True), real_repair()))
    assert tool.invoke(args)["voice"]["id"] == first  # the same voice, from the rebuilt index
    assert failed and repaired
    assert index.is_current(KIND, index_entries(load_catalogue()))
