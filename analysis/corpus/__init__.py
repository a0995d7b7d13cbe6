"""The corpus: read any input, clean, date, deduplicate and segment it, and describe it.

Modules by role:

- prepare: load_corpus / prepare_corpus, the processed tables and their cache (the measure of this concern)
- sources, encodings, webpage, text, dates, language, duplicates, segmentation: the steps prepare runs
- outlets: the outlet registry (home country, type, language); groups: outlet and period, one definition
- summary: the tables and the figure notebook 01 shows

The public names of these modules are importable from the package itself and load on first use
"""

from analysis._lazy import lazy_api

_API = {
    "DEFAULT_DAYFIRST": "dates", "resolve_dates": "dates", "check_dayfirst": "dates",
    "parse_published": "dates",
    "find_duplicates": "duplicates", "DUPLICATE_COLUMNS": "duplicates",
    "TextDecodeError": "encodings", "BinaryFileError": "encodings", "decode_bytes": "encodings",
    "UNDATED": "groups", "GROUP_COLUMNS": "groups", "period_of": "groups", "article_groups": "groups",
    "DESIGN_COLUMNS": "groups", "corpus_design": "groups", "design_notes": "groups",
    "detect_language": "language",
    "OUTLET_TYPES": "outlets", "OUTLET_GROUPS": "outlets", "UNKNOWN": "outlets",
    "OutletRegistryError": "outlets", "load_outlets": "outlets", "outlet_key": "outlets",
    "assign_outlets": "outlets", "list_unknown_outlets": "outlets",
    "load_corpus": "prepare", "load_corpus_audited": "prepare", "load_prepared": "prepare",
    "prepare_corpus": "prepare", "CorpusTables": "prepare", "default_out_dir": "prepare",
    "ARTICLE_COLUMNS": "prepare", "EXCLUSION_COLUMNS": "prepare", "CLEANING_LOG_COLUMNS": "prepare",
    "split_paragraphs": "segmentation", "split_sentences": "segmentation",
    "segment_articles": "segmentation", "PARAGRAPH_COLUMNS": "segmentation",
    "SENTENCE_COLUMNS": "segmentation",
    "CorpusInputError": "sources", "read_records": "sources", "map_columns": "sources",
    "DOCUMENT_SUFFIXES": "sources",
    "summarize_corpus": "summary", "summarize_documents": "summary", "summarize_outlets": "summary",
    "summarize_cleaning": "summary", "summarize_exclusions": "summary", "document_lengths": "summary",
    "plot_document_lengths": "summary", "EXCLUSION_REASONS": "summary",
    "BoilerplateRule": "text", "CleanResult": "text", "normalize_text": "text",
    "load_boilerplate_rules": "text", "clean_text": "text", "parse_date": "text", "has_mojibake": "text",
    "HEADLINE_MAX_WORDS": "text", "HEADLINE_MAX_CHARS": "text",
    "html_to_text": "webpage",
}
__all__, __getattr__, __dir__ = lazy_api(__name__, _API)
