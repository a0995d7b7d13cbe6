"""The study: stage artefacts, synthesis, publishing and the runner.

Modules by role:

- pipeline: the stages each notebook computes once and the others read (mentions, topics, sentiment, frames)
- synthesis: the portraits notebook 06 shows, read from those stage artefacts
- report: publish tables and figures, compare report folders
- runner: ``python -m analysis run`` executes and renders every notebook
- browser: headless screenshots of the rendered pages

The public names of these modules are importable from the package itself and load on first use
"""

from analysis._lazy import lazy_api

_API = {
    "AI_NEWS_DATASET": "ai_news", "AI_NEWS_FILES": "ai_news", "AI_NEWS_CORPUS": "ai_news",
    "AI_NEWS_REPORT": "ai_news", "CorpusBuild": "ai_news", "build_ai_news_corpus": "ai_news",
    "run_ai_news": "ai_news", "audit_quotes": "ai_news",
    "BrowserUnavailableError": "browser", "find_browser": "browser", "open_browser": "browser",
    "page_images": "browser", "screenshot_page": "browser",
    "mention_stage": "pipeline", "topic_stage": "pipeline", "sentiment_stage": "pipeline",
    "frame_stage": "pipeline", "read_study_stages": "pipeline", "codebook_id": "pipeline",
    "study_codebook": "pipeline", "stage_topic_model": "pipeline", "resolve_frame_scorer": "pipeline",
    "StageError": "pipeline",
    "report_dir": "report", "publish_figure": "report", "publish_table": "report",
    "compare_reports": "report", "QUOTE_WORDS": "report", "shorten_quote": "report",
    "quote_passages": "report",
    "StudyRunError": "runner", "RunConfig": "runner", "list_notebooks": "runner", "run_study": "runner",
    "render_index": "runner", "strip_volatile_metadata": "runner", "check_output_folder": "runner",
    "check_countries": "runner", "REPORT_MARKER": "runner", "declared_parameters": "runner",
    "parameters_by_notebook": "runner", "OPTION_OF": "runner",
    "Portraits": "synthesis", "build_portraits": "synthesis", "stage_note": "synthesis",
    "DIFFERENCE_COLUMNS": "synthesis", "portrait_table": "synthesis", "differences": "synthesis",
    "plot_portraits": "synthesis", "portrait_figure_data": "synthesis", "validity_summary": "synthesis",
    "format_interval": "synthesis", "corrections": "synthesis",
}
__all__, __getattr__, __dir__ = lazy_api(__name__, _API)
