"""Helpers for the study of how news outlets portray China, Japan and Malaysia in AI.

The public API below is importable from ``analysis`` directly; modules load on
first use, so ``import analysis`` stays fast and does not start torch.

Example:
    >>> from analysis import prepare_corpus, detect_mentions, predict_target_sentiment
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module that defines it
_API = {
    # corpus
    "load_corpus": "corpus.prepare", "prepare_corpus": "corpus.prepare", "CorpusTables": "corpus.prepare",
    "segment_articles": "corpus.segmentation", "clean_text": "corpus.text",
    # countries and attention
    "detect_mentions": "countries.measure", "article_salience": "countries.measure", "primary_country": "countries.measure",
    "load_gazetteer": "countries.gazetteer", "country_palette": "countries.gazetteer", "country_names": "countries.gazetteer",
    "assign_outlets": "corpus.outlets", "list_unknown_outlets": "corpus.outlets",
    "attention_shares": "countries.by_country", "co_mentions": "countries.by_country",
    # topics
    "embed_texts": "embeddings", "load_embedder": "embeddings",
    "fit_topic_model": "topics.measure", "load_topic_model": "topics.measure", "select_topic_documents": "topics.measure",
    "compare_topic_models": "topics.validation", "npmi_coherence": "topics.validation", "topic_diversity": "topics.validation",
    "topic_stability": "topics.validation", "subsample_stability": "topics.validation",
    "topic_shares_by_country": "topics.by_country", "topic_prevalence_effects": "topics.by_country",
    # sentiment
    "predict_target_sentiment": "sentiment.measure", "score_mentions": "sentiment.by_country",
    "aggregate_articles": "sentiment.by_country", "summarise_sentiment": "sentiment.by_country",
    "compare_countries": "sentiment.by_country",
    # framing
    "load_codebook": "framing.measure", "score_frames": "framing.measure", "predict_frames": "framing.measure",
    "build_passages": "framing.by_country", "frame_shares_by_country": "framing.by_country",
    "distinctive_words": "framing.by_country", "krippendorff_alpha": "framing.validation",
    "export_coding_sheet": "framing.validation", "read_coding_sheets": "framing.validation",
    # statistics, synthesis and reporting
    "bootstrap_mean_ci": "stats", "bootstrap_by_group": "stats", "permutation_test": "stats",
    "build_portraits": "study.synthesis", "portrait_table": "study.synthesis",
    "publish_figure": "study.report", "publish_table": "study.report", "compare_reports": "study.report",
    "run_study": "study.runner", "RunConfig": "study.runner",
    # machine-independent numbers
    "quantize_embeddings": "numerics", "round_scores": "numerics",
    # scale: chunks of whole articles, locally or on a Dask cluster
    "map_articles": "scale", "embed_on_cluster": "scale",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
