"""Stage artefacts: reuse while inputs, parameters and code are unchanged; recompute when one changes;
the synthesis reads what 02-05 wrote and refuses artefacts of another corpus or codebook."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from analysis.io import atomic_write, atomic_write_bytes, tree_hash
from analysis.paths import SEED_CORPUS_DIR
from analysis.stages import StageError, code_hash, read_stage, run_stage, stage_dir


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        table = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
        table.attrs["notes"] = ["fitted", f"call {self.calls}"]
        return {"t": table}


def _run(root, compute, **changes):
    kw = {"inputs": {"corpus": "k1"}, "params": {"scorer": "s"}, "code": "c1", **changes}
    return run_stage(root, "demo", compute=compute, **kw)


def test_a_stage_is_computed_once_and_reused_with_its_tables_and_attrs(tmp_path):
    compute = Counter()
    first = _run(tmp_path, compute)
    again = _run(tmp_path, compute)
    assert compute.calls == 1 and not first.reused and again.reused
    pd.testing.assert_frame_equal(again["t"], first["t"])
    assert again["t"].attrs["notes"] == ["fitted", "call 1"]
    assert again.key == first.key


@pytest.mark.parametrize("change", [{"inputs": {"corpus": "k2"}}, {"params": {"scorer": "other"}},
                                    {"code": "c2"}])
def test_a_changed_input_parameter_or_code_recomputes(tmp_path, change):
    compute = Counter()
    first = _run(tmp_path, compute)
    second = _run(tmp_path, compute, **change)
    assert compute.calls == 2 and not second.reused and second.key != first.key
    assert second["t"].attrs["notes"][1] == "call 2"


def test_force_and_a_damaged_artefact_recompute(tmp_path):
    compute = Counter()
    _run(tmp_path, compute)
    run_stage(tmp_path, "demo", inputs={"corpus": "k1"}, params={"scorer": "s"}, code="c1", compute=compute,
              force=True)
    assert compute.calls == 2
    (stage_dir(tmp_path, "demo") / "t.parquet").unlink()
    assert not _run(tmp_path, compute).reused and compute.calls == 3


def test_an_interrupted_write_leaves_no_artefact_that_looks_current(tmp_path):
    compute = Counter()
    _run(tmp_path, compute)

    def broken():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, broken, params={"scorer": "new"})
    with pytest.raises(StageError, match="02_countries"):  # the old artefact was for other parameters
        read_stage(tmp_path, "demo", written_by="02_countries", expect={"scorer": "new"})


def test_reading_names_the_notebook_to_run_and_checks_inputs_and_parameters(tmp_path):
    with pytest.raises(StageError, match="Run 05_framing first"):
        read_stage(tmp_path, "demo", written_by="05_framing")
    _run(tmp_path, Counter())
    assert read_stage(tmp_path, "demo", written_by="x", inputs={"corpus": "k1"}, expect={"scorer": "s"}).reused
    with pytest.raises(StageError, match=r"other inputs \(corpus"):
        read_stage(tmp_path, "demo", written_by="x", inputs={"corpus": "k2"})
    with pytest.raises(StageError, match=r"other parameters \(scorer.*Rerun x"):
        read_stage(tmp_path, "demo", written_by="x", expect={"scorer": "vader"})


def test_a_stage_is_swapped_in_whole_and_leaves_no_temporary_folder(tmp_path):
    compute = Counter()
    _run(tmp_path, compute)
    _run(tmp_path, compute, params={"scorer": "other"})
    assert sorted(p.name for p in (tmp_path / "stages").iterdir()) == ["demo"]
    assert sorted(p.name for p in stage_dir(tmp_path, "demo").iterdir()) == ["manifest.json", "t.parquet"]
    manifest = json.loads((stage_dir(tmp_path, "demo") / "manifest.json").read_text())
    assert manifest["params"] == {"scorer": "other"} and manifest["files"] == ["t.parquet"]


def test_a_stage_of_other_code_is_refused_and_content_keys_downstream_stages(tmp_path):
    first = _run(tmp_path, Counter())
    with pytest.raises(StageError, match="another version of the code"):
        read_stage(tmp_path, "demo", written_by="03_topics", code="c2")
    again = _run(tmp_path, Counter(), code="c2")  # recomputed by new code, same tables apart from attrs
    assert again.key != first.key and again.content == first.content


def test_tree_hash_follows_content_and_names_not_location(tmp_path):
    for root in (tmp_path / "a", tmp_path / "b"):
        (root / "pkg" / "__pycache__").mkdir(parents=True)
        (root / "pkg" / "m.py").write_text("x = 1\n")
        (root / "pkg" / "__pycache__" / "m.pyc").write_bytes(os.urandom(8))
    a = tree_hash([tmp_path / "a" / "pkg"], root=tmp_path / "a", suffixes=(".py",))
    assert a == tree_hash([tmp_path / "b" / "pkg"], root=tmp_path / "b", suffixes=(".py",))
    (tmp_path / "b" / "pkg" / "m.py").write_text("x = 2\n")
    assert a != tree_hash([tmp_path / "b" / "pkg"], root=tmp_path / "b", suffixes=(".py",))
    (tmp_path / "a" / "pkg" / "m.py").rename(tmp_path / "a" / "pkg" / "n.py")
    assert a != tree_hash([tmp_path / "a" / "pkg"], root=tmp_path / "a", suffixes=(".py",))
    with pytest.raises(FileNotFoundError, match="missing"):
        tree_hash([tmp_path / "nope"], root=tmp_path)


def test_code_hash_covers_every_module_of_a_subpackage_without_a_list():
    from analysis.study import pipeline

    whole = code_hash(["corpus"])
    assert whole != code_hash(["corpus/text.py"]) and whole == code_hash(["corpus"])
    assert code_hash(["countries"]) == code_hash(["countries"]) != code_hash(["countries/measure.py"])
    with pytest.raises(FileNotFoundError):
        code_hash(["corpus/renamed_module.py"])
    # every stage also hashes how stages are computed and stored
    assert pipeline._code("topics") != code_hash(["topics", "embeddings.py", "numerics.py"], ["topic_stopwords.txt"])
    assert {"study/pipeline.py", "stages.py"} <= set(pipeline._SHARED_CODE)


def test_plots_never_invalidate_a_stage(tmp_path):
    for name, body in (("m.py", "x = 1\n"), ("plots.py", "y = 1\n")):
        (tmp_path / name).write_text(body)
    before = tree_hash([tmp_path], root=tmp_path, suffixes=(".py",), skip=("plots.py",))
    (tmp_path / "plots.py").write_text("y = 2\n")
    assert tree_hash([tmp_path], root=tmp_path, suffixes=(".py",), skip=("plots.py",)) == before


def test_atomic_write_cleans_up_after_a_failure_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.npz"
    atomic_write(target, lambda tmp: np.savez(tmp, a=np.arange(3)))

    def half(tmp):
        open(tmp, "wb").write(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, half)
    assert np.load(target)["a"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]
    atomic_write_bytes(tmp_path / "deep" / "x.json", b"{}")
    assert json.loads((tmp_path / "deep" / "x.json").read_text()) == {}


# ------------------------------------------------------------------ the study's stages on the seed corpus
@pytest.fixture(scope="module")
def seed_tables(tmp_path_factory):
    from analysis.corpus import prepare_corpus

    return prepare_corpus(SEED_CORPUS_DIR, out_dir=tmp_path_factory.mktemp("processed"))


@pytest.fixture(scope="module")
def custom_codebook(tmp_path_factory):
    book = {"name": "two_frames", "version": "1", "frames": [
        {"id": "chips_supply", "family": "issue", "label": "Chip supply",
         "definition": "Semiconductors, chips and the supply of computing hardware.",
         "include": "chips, GPUs, export controls on hardware", "exclude": "software",
         "cues": ["chip*", "semiconductor*", "gpu*", "nvidia"],
         "exemplars": ["Export controls restrict sales of advanced chips.", "Nvidia's GPUs power the models."]},
        {"id": "open_models", "family": "issue", "label": "Open models",
         "definition": "Open-source or open-weight AI models and their release.",
         "include": "open source, open weights", "exclude": "closed APIs",
         "cues": ["open-source", "open source", "open-weight*", "weights"],
         "exemplars": ["The lab released the model's weights as open source.", "Open-source models spread fast."]},
    ]}
    path = tmp_path_factory.mktemp("books") / "two_frames.json"
    path.write_text(json.dumps(book), encoding="utf-8")
    return path


def test_later_notebooks_read_the_corpus_as_01_prepared_it(tmp_path):
    from analysis.corpus import load_prepared, prepare_corpus

    with pytest.raises(StageError, match="Run 01_corpus first"):
        load_prepared(SEED_CORPUS_DIR, out_dir=tmp_path)
    prepared = prepare_corpus(SEED_CORPUS_DIR, out_dir=tmp_path, min_chars=2000)  # 01 with a non-default option
    read = load_prepared(SEED_CORPUS_DIR, out_dir=tmp_path)
    assert read.key == prepared.key and len(read.articles) == len(prepared.articles)
    pd.testing.assert_frame_equal(read.sentences, prepared.sentences)
    with pytest.raises(StageError, match="dayfirst"):
        load_prepared(SEED_CORPUS_DIR, out_dir=tmp_path, dayfirst=True)


def test_mention_stage_is_reused_and_equals_detection(seed_tables):
    from analysis.countries import detect_mentions
    from analysis.study.pipeline import mention_stage

    first = mention_stage(seed_tables)
    again = mention_stage(seed_tables)
    assert again.reused and again.key == first.key
    pd.testing.assert_frame_equal(again["mentions"], detect_mentions(seed_tables.sentences), check_dtype=False)
    assert set(again["units"]["reference"]) <= {"direct", "proxy"}
    gold = again["gold_summary"].set_index("scope")  # the seed articles carry hand-coded gold
    assert gold.loc["codebook", "n_gold"] > 100 and gold.loc["codebook", "precision"] > 0.9


def test_a_custom_codebook_drives_the_frame_stage_and_the_synthesis_refuses_another(seed_tables, custom_codebook):
    from analysis.study.pipeline import frame_stage, mention_stage, read_study_stages

    mentions = mention_stage(seed_tables)
    framed = frame_stage(seed_tables, mentions, countries=["JPN", "CHN"], codebook=custom_codebook)
    assert list(framed["scores"].columns) == ["chips_supply", "open_models"]
    assert framed.params["scorer"] == "indomain" and framed.params["scorer_used"] == "default"
    assert len(framed["scores"]) == len(framed["passages"]) and set(framed["passages"]["country"]) <= {"CHN", "JPN"}
    assert framed["scores"].to_numpy().max() > 0  # the seed articles talk about chips and open models
    with pytest.raises(StageError, match="not available"):  # no topics stage yet for this corpus
        read_study_stages(seed_tables, countries=["CHN", "JPN"], codebook=custom_codebook)


def test_the_synthesis_reads_the_stages_and_checks_their_parameters(seed_tables, custom_codebook):
    from analysis.study.pipeline import (frame_stage, mention_stage, read_study_stages, sentiment_stage,
                                         topic_stage)

    mentions = mention_stage(seed_tables)
    topic_stage(seed_tables, unit="sentence", random_state=3)
    sentiment_stage(seed_tables, mentions, countries=["CHN", "JPN"], scorer="vader")
    frame_stage(seed_tables, mentions, countries=["CHN", "JPN"], codebook=custom_codebook)
    stages = read_study_stages(seed_tables, countries=["JPN", "CHN"], codebook=custom_codebook)
    assert stages["topics"]["docs"]["unit"].eq("sentence").all()
    assert stages["sentiment"].params["scorer"] == "vader"
    with pytest.raises(StageError, match=r"codebook.*05_framing"):
        read_study_stages(seed_tables, countries=["CHN", "JPN"], codebook=None)
    with pytest.raises(StageError, match=r"countries.*04_sentiment"):
        read_study_stages(seed_tables, countries=["CHN", "JPN", "MYS"], codebook=custom_codebook)


def test_a_topic_stage_assigning_by_words_encodes_only_its_sample(seed_tables, monkeypatch):
    import analysis.study.pipeline as pipeline
    from analysis.topics.measure import sample_rows

    sent = []
    monkeypatch.setattr(pipeline, "embed_on_cluster", lambda texts, **kw: sent.append(list(texts)))
    stage = pipeline.topic_stage(seed_tables, unit="sentence", random_state=3, fit_sample=40, assign="words")
    docs, dt = stage["docs"], stage["document_topics"]
    rows = sample_rows(len(docs), 40, 3)
    assert len(docs) > 40 and sent == [docs["text"].iloc[rows].tolist()]   # the cluster encodes the sample only
    assert dt["assigned_by"].iloc[rows].eq("sample").all()
    assert dt["assigned_by"].value_counts()["words"] == len(docs) - 40
    assert stage.params["assign"] == "words" and stage.params["fit_sample"] == 40
    assert any("assigned by their words" in note for note in stage["topic_info"].attrs["notes"])
    embedded = pipeline.topic_stage(seed_tables, unit="sentence", random_state=3, fit_sample=40)
    assert len(sent[-1]) == len(docs) and embedded["document_topics"]["assigned_by"].value_counts()["embedding"] \
        == len(docs) - 40
    with pytest.raises(ValueError, match="--topic-assign must be one of embedding, words, got 'tfidf'"):
        pipeline.topic_stage(seed_tables, assign="tfidf")
    with pytest.raises(ValueError, match="fit_sample must be a whole number"):
        pipeline.topic_stage(seed_tables, fit_sample=1)


def test_topic_quality_is_measured_on_the_topic_models_fitting_sample(seed_tables):
    from analysis.study.pipeline import topic_quality_stage, topic_stage

    topics = topic_stage(seed_tables, unit="sentence", random_state=3, fit_sample=40, assign="words")
    quality = topic_quality_stage(seed_tables, topics, random_states=[3], subsample_pairs=0)
    n = len(topics["docs"])
    assert f"Quality measured on a seeded sample of 40 of {n} documents." in quality["quality"].attrs["notes"]
    assert quality.params["max_documents"] == 40


@pytest.mark.parametrize("unit, expected", [("article", "article"), ("paragraph", "paragraph"),
                                            ("sentence", "sentence"), (None, "paragraph")])
def test_topic_documents_follow_the_unit(seed_tables, unit, expected):
    from analysis.topics import select_topic_documents

    docs, excluded = select_topic_documents(seed_tables.articles, seed_tables.paragraphs,
                                            sentences=seed_tables.sentences, unit=unit)
    assert docs["unit"].eq(expected).all() and len(docs) > 0
    assert len(docs) + len(excluded) == len({"article": seed_tables.articles, "paragraph": seed_tables.paragraphs,
                                             "sentence": seed_tables.sentences}[expected])


def test_an_unknown_topic_unit_is_refused(seed_tables):
    from analysis.topics import select_topic_documents

    with pytest.raises(ValueError, match="unit must be one of"):
        select_topic_documents(seed_tables.articles, seed_tables.paragraphs, unit="chapter")
    with pytest.raises(ValueError, match="needs the sentences table"):
        select_topic_documents(seed_tables.articles, seed_tables.paragraphs, unit="sentence")


def test_the_rendered_synthesis_shows_the_numbers_04_and_05_reported():
    from analysis.paths import REPORTS_DIR

    figure = pd.read_csv(REPORTS_DIR / "figures" / "synthesis_portraits.csv")
    sentiment = pd.read_csv(REPORTS_DIR / "tables" / "sentiment_by_country.csv")
    sentiment = sentiment[sentiment["measure"] == "mean_score"].set_index("country")
    drawn = figure[figure["panel"] == "sentiment"].set_index("country")
    assert len(drawn) and set(drawn.index) <= set(sentiment.index)
    for col in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(drawn[col], sentiment.loc[drawn.index, col], rtol=0, atol=1e-9)
    frames = pd.read_csv(REPORTS_DIR / "figures" / "framing_country_heatmap.csv")
    drawn = figure[figure["panel"] == "frames"]
    assert len(drawn)
    merged = drawn.merge(frames, left_on=["country", "item"], right_on=["country", "frame"], suffixes=("", "_05"))
    assert len(merged) == len(drawn)
    np.testing.assert_allclose(merged["estimate"], merged["estimate_05"], rtol=0, atol=1e-9)


def _write_same_stage(root: str, rounds: int) -> int:
    """Forked writer: recompute one stage, with the same inputs as the other writers, ``rounds`` times."""
    frame = pd.DataFrame({"doc_id": ["a", "b"], "value": [1.5, 2.5]})
    for _ in range(rounds):
        stage = run_stage(root, "mentions", inputs={"corpus": "k"}, params={}, code="c",
                          compute=lambda: {"mentions": frame}, force=True)
        pd.testing.assert_frame_equal(stage["mentions"], frame)
    return 0


def test_writers_of_one_stage_at_the_same_time_all_succeed(tmp_path):
    """03, 04 and 05 run together and each may recompute a stale mentions stage: no writer may fail."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        assert pool.starmap(_write_same_stage, [(str(tmp_path), 60)] * 4) == [0, 0, 0, 0]
    stage = run_stage(tmp_path, "mentions", inputs={"corpus": "k"}, params={}, code="c",
                      compute=lambda: pytest.fail("the current stage was recomputed"))
    assert stage["mentions"]["value"].tolist() == [1.5, 2.5]
    assert [p.name for p in (tmp_path / "stages").iterdir()] == ["mentions"]   # no temporary folder left
