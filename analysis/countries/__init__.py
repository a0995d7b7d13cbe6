"""Country mentions and attention.

Modules by role:

- measure: detect_mentions (gazetteer aliases -> one row per mention), article salience
- gazetteer, units: the reference data, and one unit per (sentence, country) with its reference class
- validation: precision and recall against the hand-coded seed mentions
- by_country: attention shares, co-mentions, alias contributions
- plots: the figures of notebook 02

The public names of these modules are importable from the package itself and load on first use
"""

from analysis._lazy import lazy_api

_API = {
    "ATTENTION_COLUMNS": "by_country", "CO_MENTION_COLUMNS": "by_country", "OVERVIEW_COLUMNS": "by_country",
    "attention_shares": "by_country", "co_mentions": "by_country", "alias_contributions": "by_country",
    "sample_mentions": "by_country", "mention_overview": "by_country",
    "KINDS": "gazetteer", "GazetteerError": "gazetteer", "load_gazetteer": "gazetteer",
    "load_exclusions": "gazetteer", "load_country_table": "gazetteer", "country_palette": "gazetteer",
    "country_names": "gazetteer", "canonical_alias": "gazetteer", "compile_exclusions": "gazetteer",
    "MENTION_COLUMNS": "measure", "SALIENCE_COLUMNS": "measure", "detect_mentions": "measure",
    "select_kinds": "measure", "article_salience": "measure", "primary_country": "measure",
    "plot_attention": "plots", "plot_attention_over_time": "plots", "plot_co_mentions": "plots",
    "plot_alias_contributions": "plots",
    "DIRECT_KINDS": "units", "UNIT_COLUMNS": "units", "load_capitals": "units", "reference_class": "units",
    "sentence_units": "units",
    "GOLD_COLUMNS": "validation", "EVALUATION_COLUMNS": "validation", "SCORE_COLUMNS": "validation",
    "SEED_GOLD_PATH": "validation", "load_mention_gold": "validation", "evaluate_mentions": "validation",
    "validity_rows": "validation",
}
__all__, __getattr__, __dir__ = lazy_api(__name__, _API)
