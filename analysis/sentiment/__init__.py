"""Sentiment toward a named country (target-dependent).

Modules by role:

- measure: predict_target_sentiment (scorers indomain, target, vader); domain: the in-domain head
- train (+ ``python -m analysis.sentiment train``) and modules: the NewsMTSC-trained target model
- validation: NewsMTSC and in-domain validity tables
- by_country: score each (sentence, country) unit, aggregate to articles, compare countries
- plots: the figures of notebook 04

The public names of these modules are importable from the package itself and load on first use
"""

from analysis._lazy import lazy_api

_API = {
    "SCORED_COLUMNS": "by_country", "ARTICLE_COLUMNS": "by_country", "score_mentions": "by_country",
    "aggregate_articles": "by_country", "summarise_sentiment": "by_country",
    "compare_countries": "by_country", "TEST_COLUMNS": "by_country", "naive_country_tests": "by_country",
    "NAIVE_COLUMNS": "by_country", "compare_outlet_groups": "by_country", "GROUP_TEST_COLUMNS": "by_country",
    "summarise_coverage": "by_country", "select_evidence": "by_country", "find_disagreements": "by_country",
    "sensitivity_table": "by_country",
    "HEAD_FILE": "domain", "target_features": "domain", "DomainSentimentHead": "domain",
    "load_domain_head": "domain", "predict_domain_sentiment": "domain",
    "LABELS": "measure", "SCORERS": "measure", "DEFAULT_SCORER": "measure", "SENTIMENT_DIR": "measure",
    "SentimentModelError": "measure", "mark_target": "measure", "validate_targets": "measure",
    "predict_target_sentiment": "measure", "load_target_model": "measure", "PRECISIONS": "measure",
    "DEFAULT_PRECISION": "measure", "bf16_supported": "measure", "tokenize_targets": "measure",
    "collate_targets": "measure", "encode_batch": "measure",
    "plot_country_sentiment": "plots",
    "DEFAULT_CONFIG": "train", "pair_augment": "train", "train_target_model": "train",
    "save_artefact": "train",
    "POLARITY_LABELS": "validation", "EVAL_SPLITS": "validation", "PUBLISHED_NEWSSENTIMENT": "validation",
    "load_newsmtsc": "validation", "score_split": "validation", "evaluate_scorers": "validation",
    "validation_table": "validation", "read_validation_metrics": "validation",
    "indomain_sentiment_table": "validation", "validity_rows": "validation",
}
__all__, __getattr__, __dir__ = lazy_api(__name__, _API)
