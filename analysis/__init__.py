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
    "load_corpus": "corpus", "prepare_corpus": "corpus", "CorpusTables": "corpus",
    "segment_articles": "segmentation", "clean_text": "text",
    # countries and attention
    "detect_mentions": "countries", "article_salience": "countries", "primary_country": "countries",
    "load_gazetteer": "gazetteer", "country_palette": "gazetteer", "country_names": "gazetteer",
    "assign_outlets": "outlets", "list_unknown_outlets": "outlets",
    "attention_shares": "attention", "co_mentions": "attention",
    # topics
    "embed_texts": "embeddings", "load_embedder": "embeddings",
    "fit_topic_model": "topics", "load_topic_model": "topics", "select_topic_documents": "topics",
    "compare_topic_models": "topic_quality", "npmi_coherence": "topic_quality", "topic_diversity": "topic_quality",
    "topic_stability": "topic_quality", "subsample_stability": "topic_quality",
    "topic_shares_by_country": "topic_effects", "topic_prevalence_effects": "topic_effects",
    # sentiment
    "predict_target_sentiment": "sentiment", "score_mentions": "sentiment_aggregate",
    "aggregate_articles": "sentiment_aggregate", "summarise_sentiment": "sentiment_aggregate",
    "compare_countries": "sentiment_aggregate",
    # framing
    "load_codebook": "framing", "score_frames": "framing", "predict_frames": "framing",
    "build_passages": "frame_effects", "frame_shares_by_country": "frame_effects",
    "distinctive_words": "frame_effects", "krippendorff_alpha": "reliability",
    "export_coding_sheet": "reliability", "read_coding_sheets": "reliability",
    # statistics, synthesis and reporting
    "bootstrap_mean_ci": "stats", "bootstrap_by_group": "stats", "permutation_test": "stats",
    "build_portraits": "synthesis", "portrait_table": "synthesis",
    "publish_figure": "report", "publish_table": "report", "compare_reports": "report",
    "run_study": "runner", "RunConfig": "runner",
    # machine-independent numbers
    "quantize_embeddings": "numerics", "round_scores": "numerics",
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
