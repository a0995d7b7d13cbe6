"""Frames: a codebook, sentence-level scorers, and frames by country.

Modules by role:

- measure: load_codebook, score_frames (scorers indomain, default, seeded, dictionary, zero_shot, ...); domain: the in-domain head
- validation: coding sheets, Krippendorff's alpha, frame metrics, in-domain validity table
- by_country: passages, frame shares by country, distinctive words
- plots: the figures of notebook 05

The public names of these modules are importable from the package itself and load on first use
"""

from analysis._lazy import lazy_api

_API = {
    "PASSAGE_COLUMNS": "by_country", "build_passages": "by_country", "coverage_note": "by_country",
    "frame_shares_by_country": "by_country", "assess_frame_association": "by_country",
    "top_frames_by_country": "by_country", "example_passages": "by_country",
    "log_odds_dirichlet": "by_country", "distinctive_words": "by_country",
    "context_sensitivity": "by_country",
    "HEAD_FILE": "domain", "MIN_POSITIVES": "domain", "sentence_features": "domain",
    "DomainFrameHead": "domain", "load_domain_frame_head": "domain",
    "CodebookError": "measure", "FRAMES_DIR": "measure", "GENERIC_FRAMES": "measure",
    "load_codebook": "measure", "validate_codebook": "measure", "split_sentences": "measure",
    "score_frames": "measure", "predict_frames": "measure", "FrameClassifier": "measure",
    "cross_validate_frames": "measure", "load_pretrained_classifier": "measure",
    "embed_documents": "measure", "frame_prototypes": "measure", "SCORERS": "measure",
    "summarize_codebook": "measure", "load_validation": "measure", "train_frame_classifier": "measure",
    "plot_frame_heatmap": "plots",
    "CodingSheetError": "validation", "SHEET_META": "validation", "export_coding_sheet": "validation",
    "read_coding_sheets": "validation", "krippendorff_alpha": "validation", "consensus_codes": "validation",
    "agreement_table": "validation", "frame_metrics": "validation", "indomain_frame_table": "validation",
    "validity_rows": "validation",
}
__all__, __getattr__, __dir__ = lazy_api(__name__, _API)
