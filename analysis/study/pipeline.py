"""The study's stages: each notebook computes its own once and reads the others' artefacts.

============  ================  =====================================================  ===================
stage         written by        tables                                                 read by
============  ================  =====================================================  ===================
corpus        01 (any)          articles, paragraphs, sentences, exclusions, cleaning  every notebook
mentions      02 (any)          mentions (every reference), units (sentence, country)  03-06
topics        03                docs, excluded, document_topics, topic_info (+ model)  06
topic_quality 03                quality (BERTopic, LDA, NMF: coherence and stability)  03 (a rerun)
sentiment     04                scored (every unit, the chosen scorer), vader (direct)  06
frames        05                passages, scores, context, context_scores              06
============  ================  =====================================================  ===================

Every stage function reuses the artefact when its inputs, parameters and code are unchanged (see
:mod:`analysis.stages`), so a rerun recomputes only what changed; ``force=True`` recomputes one stage.
The per-article work (mentions, sentiment scores, the sentence vectors of topics and frames) runs in
chunks of whole articles, on Dask workers when a scheduler is set (:mod:`analysis.scale`); the tables
are the same either way, so the scheduler is not a stage parameter.
The synthesis (06) reads the stages with :func:`read_study_stages` and calls no instrument, so its
numbers are the ones 03-05 reported.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from analysis.io import sha256_file
from analysis.scale import embed_on_cluster, map_articles
from analysis.stages import Stage, StageError, code_hash, read_stage, run_stage

__all__ = ["mention_stage", "topic_stage", "topic_quality_stage", "sentiment_stage", "frame_stage", "read_study_stages", "codebook_id",
           "study_codebook", "stage_topic_model", "resolve_frame_scorer", "StageError"]

#: Code and reference data behind each stage (subpackages and modules under analysis/, files under resources/).
_CODE = {
    "mentions": (["countries"], ["gazetteer.csv", "gazetteer_exclusions.csv", "capitals.csv", "gold"]),
    "topics": (["topics", "embeddings.py", "numerics.py"], ["topic_stopwords.txt"]),
    "sentiment": (["sentiment", "embeddings.py", "numerics.py"], ["sentiment"]),
    "frames": (["framing", "corpus/segmentation.py", "embeddings.py", "numerics.py"], ["frames"]),
}
#: Every stage also depends on how stages are computed and stored.
_SHARED_CODE = ["study/pipeline.py", "stages.py", "io.py", "scale.py"]


def _code(stage: str) -> str:
    code, resources = _CODE[stage]
    return code_hash([*code, *_SHARED_CODE], resources)


def _corpus_inputs(tables) -> dict:
    if not getattr(tables, "key", ""):
        raise StageError("These corpus tables carry no stage key; load them with prepare_corpus().")
    return {"corpus": tables.key}


def mention_stage(tables, *, force: bool = False) -> Stage:
    """Every country reference (all kinds, all gazetteer countries) and one unit per (sentence, country).

    Returns:
        :class:`~analysis.stages.Stage` with ``mentions`` (:func:`analysis.countries.detect_mentions`),
        ``units`` (:func:`analysis.countries.sentence_units`) and, scored against the hand-coded seed gold
        when the corpus holds any of its articles (else empty), ``gold_summary`` and ``gold_detail``
        (:func:`analysis.countries.evaluate_mentions`).
    """
    from analysis.countries.measure import detect_mentions
    from analysis.countries.units import sentence_units
    from analysis.countries.validation import (EVALUATION_COLUMNS, SCORE_COLUMNS, evaluate_mentions,
                                               load_mention_gold)

    def compute():
        mentions = map_articles(detect_mentions, tables.sentences)
        gold = load_mention_gold()
        if set(gold["doc_id"]) & set(tables.articles["doc_id"]):
            summary, detail = evaluate_mentions(mentions, tables.sentences, tables.articles, gold)
        else:
            summary, detail = pd.DataFrame(columns=SCORE_COLUMNS), pd.DataFrame(columns=EVALUATION_COLUMNS)
        return {"mentions": mentions, "units": sentence_units(mentions, tables.sentences),
                "gold_summary": summary, "gold_detail": detail}

    return run_stage(tables.out_dir, "mentions", inputs=_corpus_inputs(tables), params={}, code=_code("mentions"),
                     compute=compute, force=force)


def topic_stage(tables, *, unit: str | None = None, min_articles: int = 50, random_state: int = 42,
                fit_sample: int | None = None, assign: str = "embedding", force: bool = False) -> Stage:
    """The topic documents and BERTopic's fit on them (the fitted model is saved beside the tables).

    Args:
        tables: The prepared corpus.
        unit: ``"article"``, ``"paragraph"`` or ``"sentence"``; ``None`` chooses by ``min_articles``.
        min_articles: With ``unit=None``, fewer articles than this make paragraphs the documents.
        random_state: Seed of the topic model.
        fit_sample: Fit on a seeded sample of at most this many documents and assign the rest to the nearest
            topic (see :class:`~analysis.topics.TopicModel`); ``None``: :data:`~analysis.topics.measure.FIT_SAMPLE`.
        assign: How the documents outside that sample get a topic: ``"embedding"`` (every document encoded) or
            ``"words"`` (TF-IDF; only the sample encoded), see :class:`~analysis.topics.TopicModel`.

    Returns:
        Stage with ``docs``, ``excluded``, ``document_topics`` and ``topic_info`` (its ``attrs["notes"]``
        are the model's notes); :func:`stage_topic_model` loads the saved model.
    """
    from analysis.topics.measure import ASSIGNMENTS, FIT_SAMPLE, fit_topic_model, sample_rows, select_topic_documents

    fit_sample = FIT_SAMPLE if fit_sample is None else fit_sample
    if assign not in ASSIGNMENTS:  # before any work, and named as the command line names it
        raise ValueError(f"--topic-assign must be one of {', '.join(ASSIGNMENTS)}, got {assign!r}.")
    sample_rows(0, fit_sample, random_state)  # a bad sample size is refused here too

    state = {}

    def compute():
        docs, excluded = select_topic_documents(tables.articles, tables.paragraphs, sentences=tables.sentences,
                                                unit=unit, min_articles=min_articles)
        texts = docs["text"].tolist()
        rows = sample_rows(len(texts), fit_sample, random_state) if assign == "words" else None
        embed_on_cluster(texts if rows is None else [texts[i] for i in rows])  # what the fit will encode
        model = fit_topic_model(docs, random_state=random_state, fit_sample=fit_sample, assign=assign)
        state["model"] = model
        info = model.topic_info_.copy()
        info.attrs["notes"] = list(model.notes_)
        return {"docs": docs, "excluded": excluded, "document_topics": model.document_topics_, "topic_info": info}

    def save_model(folder: Path) -> None:
        state["model"].save(folder / "model")

    return run_stage(tables.out_dir, "topics", inputs=_corpus_inputs(tables),
                     params={"unit": unit, "min_articles": min_articles, "random_state": random_state,
                             "fit_sample": fit_sample, "assign": assign},
                     code=_code("topics"), compute=compute, extra=save_model, force=force)


def topic_quality_stage(tables, topics: Stage, *, random_states, subsample_pairs: int = 3,
                        force: bool = False) -> Stage:
    """The quality and stability table of the topic documents (BERTopic against LDA and NMF), computed once.

    Args:
        tables: The prepared corpus.
        topics: The :func:`topic_stage` whose documents are measured.
        random_states: Seeds of the refits (see :func:`analysis.topics.compare_topic_models`).
        subsample_pairs: Pairs of 80% subsamples for stability under perturbation.

    Above the topic stage's ``fit_sample`` documents (at most :data:`~analysis.topics.measure.FIT_SAMPLE`),
    every model is measured on a seeded sample of that size.

    Returns:
        Stage with ``quality`` (:func:`analysis.topics.compare_topic_models`; its notes, such as the sample it
        was measured on and the warnings its fits raised, once each, are in ``attrs["notes"]``).
    """
    from analysis.topics.measure import FIT_SAMPLE
    from analysis.topics.validation import compare_topic_models

    random_states = [int(r) for r in random_states]
    # Measured on the topic model's own fitting sample (the same rows when the first seed is its seed), so a
    # large corpus is never encoded beyond that sample here either; never on more than FIT_SAMPLE documents,
    # as every model is refitted for each seed and subsample pair.
    fit_sample = min(topics.params.get("fit_sample", FIT_SAMPLE), FIT_SAMPLE)

    def compute():
        # Warnings (e.g. NMF not converging) become notes of the table, so a rerun that reads the stage
        # prints what the run that computed it printed.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            quality = compare_topic_models(topics["docs"]["text"], random_states=random_states,
                                           subsample_pairs=subsample_pairs, max_documents=fit_sample)
        said = [f"{w.category.__name__}: {w.message}" for w in caught]
        quality.attrs["notes"] = list(quality.attrs.get("notes", [])) + list(dict.fromkeys(said))
        return {"quality": quality}

    return run_stage(tables.out_dir, "topic_quality", inputs={**_corpus_inputs(tables), "topics": topics.content},
                     params={"random_states": random_states, "subsample_pairs": subsample_pairs,
                             "max_documents": fit_sample},
                     code=_code("topics"), compute=compute, force=force)


def stage_topic_model(stage: Stage):
    """The :class:`~analysis.topics.TopicModel` saved with a topic stage."""
    from analysis.topics.measure import load_topic_model

    return load_topic_model(stage.folder / "model")


def sentiment_stage(tables, mentions: Stage, *, countries, scorer: str = "indomain", force: bool = False) -> Stage:
    """Sentiment toward each (sentence, country) unit of ``countries``.

    Returns:
        Stage with ``scored`` (every unit, direct and proxy, scored with ``scorer``) and ``vader`` (direct
        units scored by VADER, the sentence-level baseline).
    """
    from analysis.sentiment.by_country import score_mentions

    units = mentions["units"]
    countries = sorted(countries)

    def compute():
        others = {"sentences": tables.sentences}
        scored = map_articles(score_mentions, units, others=others, scorer=scorer, countries=countries)
        direct = units[units["reference"] == "direct"]
        vader = map_articles(score_mentions, direct, others=others, scorer="vader", countries=countries)
        return {"scored": scored, "vader": vader}

    return run_stage(tables.out_dir, "sentiment", inputs={**_corpus_inputs(tables), "mentions": mentions.content},
                     params={"countries": countries, "scorer": scorer}, code=_code("sentiment"),
                     compute=compute, force=force)


def study_codebook() -> Path:
    """The bundled codebook file (the one the in-domain frame heads were trained for)."""
    from analysis.framing.measure import FRAMES_DIR

    return FRAMES_DIR / "codebook.json"


def codebook_id(codebook: str | Path | None) -> str:
    """sha256 of the codebook file's bytes (``None``: the bundled codebook)."""
    path = Path(codebook) if codebook is not None else study_codebook()
    if not path.is_file():
        raise FileNotFoundError(f"Codebook {path} not found; pass a JSON codebook file (see "
                                "analysis/resources/frames/codebook.json for the format).")
    return sha256_file(path)


def resolve_frame_scorer(codebook: str | Path | None, scorer: str) -> tuple[str, str]:
    """The scorer to run and a note: the in-domain heads score the study codebook only.

    With another codebook, ``"indomain"`` becomes the label-free ``"default"`` scorer, and the note says so
    (validate it on your own coded sentences: README, "Validate the instruments on your own corpus").
    """
    if scorer == "indomain" and codebook_id(codebook) != codebook_id(None):
        return "default", ("The in-domain frame heads were trained for the study codebook; this codebook is scored "
                           "with the label-free default scorer, not validated on your frames.")
    return scorer, ""


def frame_stage(tables, mentions: Stage, *, countries, codebook: str | Path | None = None,
                scorer: str = "indomain", threshold: float = 0.5, window: int = 0, context_window: int = 1,
                force: bool = False) -> Stage:
    """Frame scores of each direct (sentence, country) unit of ``countries``, and of its context.

    Args:
        codebook: A codebook file; ``None`` = the bundled one. Its content hash is a parameter of the stage.
        scorer: See :func:`analysis.framing.score_frames`; see :func:`resolve_frame_scorer` for other codebooks.
        threshold: Score at or above which a frame is present (recorded, so the synthesis applies the same).
        window: Sentences of context on each side in the primary passages (0: the sentence, the validated unit).
        context_window: The same for the sensitivity passages.

    Returns:
        Stage with ``passages`` and ``scores`` (one column per frame, rows aligned), and ``context`` and
        ``context_scores``; the params record the scorer actually run (``scorer_used``).
    """
    from analysis.framing.by_country import build_passages
    from analysis.framing.measure import load_codebook, score_frames, split_sentences

    units = mentions["units"]
    countries = sorted(countries)
    used, _ = resolve_frame_scorer(codebook, scorer)
    book = load_codebook(codebook)

    def compute():
        direct = units[units["reference"] == "direct"]
        out = {}
        for name, w in (("passages", window), ("context", context_window)):
            passages = build_passages(tables.sentences, direct, window=w, countries=countries)
            if used != "dictionary":  # every other scorer reads MiniLM vectors of the passages' sentences
                embed_on_cluster([s for text in passages["text"] for s in split_sentences(text)])
            scores = score_frames(passages["text"].tolist(), scorer=used, codebook=book)
            out[name] = passages
            out["scores" if name == "passages" else "context_scores"] = scores
        return out

    params = {"countries": countries, "codebook": codebook_id(codebook), "scorer": scorer, "scorer_used": used,
              "threshold": threshold, "window": window, "context_window": context_window}
    return run_stage(tables.out_dir, "frames", inputs={**_corpus_inputs(tables), "mentions": mentions.content},
                     params=params, code=_code("frames"), compute=compute, force=force)


def read_study_stages(tables, *, countries, codebook: str | Path | None = None,
                      random_state: int | None = None) -> dict[str, Stage]:
    """The mentions, topics, sentiment and frames stages of this corpus, as notebooks 02-05 wrote them.

    Checks that each was computed by the current code from this corpus (and these mentions), for these
    countries, with this codebook (frames) and this seed (topics, when ``random_state`` is given).

    Raises:
        StageError: A stage is missing or was computed for other inputs; the message names the notebook to run.
    """
    root, corpus = tables.out_dir, _corpus_inputs(tables)
    mentions = read_stage(root, "mentions", written_by="02_countries", inputs=corpus, code=_code("mentions"))
    countries = sorted(countries)
    with_mentions = {**corpus, "mentions": mentions.content}
    seed = {} if random_state is None else {"random_state": random_state}
    return {
        "mentions": mentions,
        "topics": read_stage(root, "topics", written_by="03_topics", inputs=corpus, expect=seed,
                             code=_code("topics")),
        "sentiment": read_stage(root, "sentiment", written_by="04_sentiment", inputs=with_mentions,
                                expect={"countries": countries}, code=_code("sentiment")),
        "frames": read_stage(root, "frames", written_by="05_framing", inputs=with_mentions,
                             expect={"countries": countries, "codebook": codebook_id(codebook)},
                             code=_code("frames")),
    }
