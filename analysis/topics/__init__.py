"""Topics: BERTopic on cached embeddings, its quality, and topics by country.

Modules by role:

- measure: select_topic_documents, fit_topic_model (TopicModel)
- validation: NPMI coherence, diversity, stability against LDA/NMF/LSA baselines
- by_country: topic shares within each country's mentions and prevalence effects
- plots: the figures of notebook 03

The public names of these modules are importable from the package itself and load on first use
"""

from analysis._lazy import lazy_api

_API = {
    "link_mention_topics": "by_country", "summarize_country_coverage": "by_country",
    "topic_shares_by_country": "by_country", "topic_prevalence_effects": "by_country",
    "TopicModel": "measure", "fit_topic_model": "measure", "load_topic_model": "measure",
    "select_topic_documents": "measure", "representative_passages": "measure",
    "load_topic_stopwords": "measure", "scale_min_cluster_size": "measure", "corpus_hash": "measure",
    "TOPIC_UNITS": "measure", "FIT_SAMPLE": "measure", "assign_to_topics": "measure", "assign_by_words": "measure",
    "sample_rows": "measure", "ASSIGNMENTS": "measure",
    "plot_topic_shares": "plots", "plot_topic_effects": "plots",
    "TopicFit": "validation", "npmi_coherence": "validation", "topic_npmi": "validation",
    "topic_diversity": "validation", "match_topics": "validation", "fit_baseline_topics": "validation",
    "fit_bertopic_topics": "validation", "topic_stability": "validation",
    "subsample_stability": "validation", "compare_topic_models": "validation",
}
__all__, __getattr__, __dir__ = lazy_api(__name__, _API)
