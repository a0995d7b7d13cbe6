"""Tests for analysis.corpus.prepare / analysis.corpus.sources / analysis.corpus.duplicates on fixtures and the real seeds."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.corpus.prepare import (
    ARTICLE_COLUMNS, CorpusInputError, default_out_dir, load_corpus, load_corpus_audited,
    prepare_corpus,
)
from analysis.corpus.duplicates import find_duplicates
from analysis.paths import PROCESSED_DIR, SEED_CORPUS_DIR

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"
ENGLISH = ("Malaysia is building data centres in Johor at a rapid pace, and officials said the "
           "new facilities would serve customers across Southeast Asia. The state has approved "
           "several projects this year, according to the investment agency.")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --- the real seed corpus (done-when of issue 2) -----------------------------------------

FORBIDDEN = [
    re.compile(r"Image Source Note", re.I), re.compile(r"Statement\s*:", re.I),
    re.compile(r"represents the views of the author", re.I), re.compile(r"Bitcoin", re.I),
    re.compile(r"Today\s*:", re.I), re.compile(r"Original\s*:", re.I),
    re.compile(r"https?://"), re.compile(r"^(Companies|Technology)$"),
    re.compile(r"Translated by", re.I), re.compile(r"\(音\)"), re.compile(r"upvote/downvote"),
]
EXPECTED_SEED_REMOVALS = {
    ("000_2de2588a390b66a3", "image_credit"),
    ("001_7f5ca0f42b4d094d", "section_label"), ("001_7f5ca0f42b4d094d", "headline"),
    ("001_7f5ca0f42b4d094d", "published_line"), ("001_7f5ca0f42b4d094d", "tag_list"),
    ("002_1fa5c504a9ea376b", "phonetic_note"), ("002_1fa5c504a9ea376b", "translator_credit"),
    ("002_1fa5c504a9ea376b", "original_link"), ("002_1fa5c504a9ea376b", "publisher_disclaimer"),
    ("003_2f55fbca4516fe02", "today_navigation"), ("003_2f55fbca4516fe02", "section_label"),
    ("003_2f55fbca4516fe02", "date_line"), ("003_2f55fbca4516fe02", "headline"),
    ("004_bf83acd13971a2ea", "crypto_spam"),
}


@pytest.fixture(scope="module")
def seed_tables(tmp_path_factory):
    before = _hashes(SEED_CORPUS_DIR)
    tables = prepare_corpus(SEED_CORPUS_DIR, out_dir=tmp_path_factory.mktemp("seeds"))
    assert _hashes(SEED_CORPUS_DIR) == before  # data/raw is never modified
    return tables


def test_seeds_come_out_clean(seed_tables):
    assert len(seed_tables.articles) == 5 and seed_tables.exclusions.empty
    for sentence in seed_tables.sentences["text"]:
        for pattern in FORBIDDEN:
            assert not pattern.search(sentence), (pattern.pattern, sentence)
    for line in seed_tables.articles["text"].str.split("\n").explode():
        assert not re.fullmatch(r"(Companies|Technology|31 January 2025|AI, Japan, DeepSeek)", line)


def test_seed_removals_all_logged(seed_tables):
    log = seed_tables.cleaning_log
    assert set(zip(log["doc_id"], log["rule"])) == EXPECTED_SEED_REMOVALS
    assert (log["removed_text"].str.len() > 0).all() and (log["reason"].str.len() > 0).all()
    raw = dict(zip(seed_tables.articles["doc_id"], seed_tables.articles["raw_text"]))
    for row in log.itertuples():
        assert row.removed_text in raw[row.doc_id].replace("’", "'")


def test_seed_metadata_titles_dates_urls(seed_tables):
    articles = seed_tables.articles.set_index("doc_id")
    assert articles.loc["001_7f5ca0f42b4d094d", "title"] == "DeepSeek and Japan's Role in the Global AI Race"
    assert articles.loc["003_2f55fbca4516fe02", "title"] == \
        "DeepSeek Disrupts AI Landscape, Challenging US And Europe"
    assert articles.loc["003_2f55fbca4516fe02", "text"].startswith("China's innovative AI model")
    assert articles.loc["001_7f5ca0f42b4d094d", "published"] == pd.Timestamp("2025-01-29")
    assert articles.loc["003_2f55fbca4516fe02", "published"] == pd.Timestamp("2025-01-31")
    assert articles["published"].isna().sum() == 3
    assert articles.loc["002_1fa5c504a9ea376b", "url"] == \
        "https://www.toutiao.com/article/7577636748772131355/"
    assert articles.loc["002_1fa5c504a9ea376b", "outlet"] == "Reference News Network"
    assert (articles["language"] == "en").all()
    assert list(seed_tables.articles.columns[:len(ARTICLE_COLUMNS)]) == ARTICLE_COLUMNS
    assert not articles["source_path"].str.startswith("/").any()


def test_seed_text_dates_found_without_metadata(tmp_path):
    for path in SEED_CORPUS_DIR.glob("*.txt"):
        shutil.copy(path, tmp_path / path.name)
    articles = load_corpus(tmp_path).set_index("doc_id")
    assert articles.loc["001_7f5ca0f42b4d094d", "published"] == pd.Timestamp("2025-01-29")
    assert articles.loc["001_7f5ca0f42b4d094d", "date_evidence"] == "text: Published January 29, 2025"
    assert articles.loc["003_2f55fbca4516fe02", "date_evidence"] == "text: 31 January 2025"
    assert articles.loc["002_1fa5c504a9ea376b", "url"].startswith("https://www.toutiao.com/")
    assert pd.isna(articles.loc["004_bf83acd13971a2ea", "published"])  # body date is not used


def test_seed_segmentation_offsets(seed_tables):
    text = dict(zip(seed_tables.articles["doc_id"], seed_tables.articles["text"]))
    for table in (seed_tables.paragraphs, seed_tables.sentences):
        for row in table.itertuples():
            assert text[row.doc_id][row.start:row.end] == row.text
    sentences = seed_tables.sentences["text"].tolist()
    assert any(s.startswith("To navigate hardware constraints imposed by U.S. regulations")
               for s in sentences)
    assert any("On January 22, 2025, President Trump unveiled" in s for s in sentences)


def test_clean_false_keeps_boilerplate():
    articles = load_corpus(SEED_CORPUS_DIR, clean=False)
    assert articles.set_index("doc_id").loc["004_bf83acd13971a2ea", "text"].endswith("Sign Up")


# --- formats ---------------------------------------------------------------------------

def test_folder_encodings_html_metadata_and_empty():
    articles = load_corpus(FIXTURES / "folder").set_index("doc_id")
    assert articles.loc["cp1252", "encoding"] == "cp1252"
    assert 'Tokyo\'s "AI café" costs £5' in articles.loc["cp1252", "text"]
    assert articles.loc["cp1252", "outlet"] == "Example Times"  # metadata.csv, mixed-case header
    assert articles.loc["gb18030", "encoding"] == "gb18030"
    assert articles.loc["gb18030", "text"].startswith("中国人工智能公司深度求索")
    assert articles.loc["gb18030", "language"] == "zh"
    assert articles.loc["utf8_bom", "encoding"] == "utf-8-sig"
    assert articles.loc["utf8_bom", "title"] == "Japan Bets on Chips"
    assert articles.loc["utf8_bom", "published"] == pd.Timestamp("2025-02-03")
    assert "doesn't plan layoffs" in articles.loc["mojibake", "text"]
    assert articles.loc["page", "title"] == "Malaysia courts chip makers"
    assert articles.loc["page", "published"] == pd.Timestamp("2025-02-05 01:00")  # +08:00 -> UTC
    assert articles.loc["page", "url"] == "https://example.com/chips"
    page = articles.loc["page", "text"]
    assert page.startswith("Malaysia is building") and "Home" not in page
    assert "Copyright" not in page and "var ad" not in page and "Photo: Reuters" not in page
    assert articles.loc["empty", "text"] == ""
    assert articles["published"].dtype == "datetime64[ns]"
    assert articles.loc["briefing", "title"] == "Johor's data-centre boom"
    assert "#" not in articles.loc["briefing", "text"]
    assert articles.loc["briefing", "text"].endswith("Power\n\nThe grid must grow.")
    assert articles["mojibake_repaired"].to_dict() == {
        "briefing": False, "cp1252": False, "empty": False, "gb18030": False, "mojibake": True,
        "page": False, "utf8_bom": False}


def test_csv_columns_mapped_case_insensitively():
    articles = load_corpus(FIXTURES / "articles.csv")
    assert list(articles["doc_id"]) == ["a1", "a2"]
    assert list(articles["outlet"]) == ["Star", "Times"]
    assert list(articles["title"]) == ["Johor data centres", "Robot cafe"]
    assert list(articles["published"]) == [pd.Timestamp("2025-01-02 08:30:25"),
                                           pd.Timestamp("2025-01-31")]


def test_newsapi_response_json():
    articles, log, _ = load_corpus_audited(FIXTURES / "newsapi.json")
    first = articles.iloc[0]
    assert first["outlet"] == "Example Wire" and first["title"] == "DeepSeek rattles markets"
    assert first["published"] == pd.Timestamp("2025-01-27 10:38:53")
    assert first["text"].startswith("Chinese start-up DeepSeek released a cheap model")
    assert first["text"].endswith("far less than") and "[+" not in first["text"]
    assert list(log["rule"]) == ["newsapi_truncation", "newsapi_truncation"]
    assert list(articles["language"]) == ["en", "fr"]


def test_parquet_and_jsonl_roundtrip(tmp_path):
    frame = pd.DataFrame({"Doc_ID": ["p1", "p2"], "TEXT": [ENGLISH, ENGLISH + " Yes."],
                          "Lang": ["en-US", "English"], "published_at": ["2025-01-05", None]})
    frame.to_parquet(tmp_path / "c.parquet")
    articles = load_corpus(tmp_path / "c.parquet")
    assert articles.loc[0, "doc_id"] == "p1" and articles.loc[0, "text"] == ENGLISH
    assert list(articles["language"]) == ["en", "en"]
    assert articles["published"].isna().tolist() == [False, True]
    (tmp_path / "c.jsonl").write_text(json.dumps({"body": ENGLISH}) + "\n", encoding="utf-8")
    articles = load_corpus(tmp_path / "c.jsonl")
    assert articles.loc[0, "doc_id"] == "c_00000"


# --- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "missing", "no such file or folder"),
    (lambda d: _write(d / "zero.csv", b""), "empty \\(0 bytes\\)"),
    (lambda d: _write(d / "x.xlsx", b"data"), "unsupported extension"),
    (lambda d: _write(d / "bad.json", b"{oops"), "not valid JSON"),
    (lambda d: d, "no \\['.htm'"),
])
def test_bad_paths_raise_clear_errors(tmp_path, make, message):
    with pytest.raises(CorpusInputError, match=message):
        load_corpus(make(tmp_path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_csv_without_text_column_lists_columns():
    with pytest.raises(CorpusInputError) as info:
        load_corpus(FIXTURES / "no_text.csv")
    assert "no_text.csv" in str(info.value)
    assert "['date', 'headline', 'id']" in str(info.value)
    assert "'content'" in str(info.value)


def test_bad_json_lines_fail_listing_all_then_skip():
    with pytest.raises(CorpusInputError) as info:
        load_corpus(FIXTURES / "bad_lines.jsonl")
    message = str(info.value)
    assert "2 line(s)" in message and "line 2" in message and "line 4" in message
    articles, _, problems = load_corpus_audited(FIXTURES / "bad_lines.jsonl", on_bad_lines="skip")
    assert list(articles["doc_id"]) == ["j1", "j2"]
    assert list(problems["reason"]) == ["bad_json_line", "bad_json_line"]
    assert list(problems["doc_id"]) == ["bad_lines:line2", "bad_lines:line4"]
    with pytest.warns(UserWarning, match="skipped 2 bad input"):
        load_corpus(FIXTURES / "bad_lines.jsonl", on_bad_lines="skip")


def test_unreadable_file_named_then_skipped(tmp_path, monkeypatch):
    for name in ("good.txt", "locked.txt"):
        (tmp_path / name).write_text(ENGLISH, encoding="utf-8")
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(CorpusInputError, match="locked.txt: cannot read the file"):
        load_corpus(tmp_path)
    articles, _, problems = load_corpus_audited(tmp_path, on_bad_lines="skip")
    assert list(articles["doc_id"]) == ["good"]
    assert list(zip(problems["doc_id"], problems["reason"])) == [("locked", "unreadable_file")]


def test_single_html_file():
    articles = load_corpus(FIXTURES / "folder" / "page.html")
    assert list(articles["doc_id"]) == ["page"]
    assert articles.loc[0, "raw_text"].startswith("<html>")
    assert articles.loc[0, "text"].endswith("Investors welcomed the move & shares rose.")


def test_bad_csv_rows_fail_listing_all_then_skip():
    with pytest.raises(CorpusInputError) as info:
        load_corpus(FIXTURES / "bad_rows.csv")
    assert "bad_rows.csv" in str(info.value)
    assert "line 3: 4 fields" in str(info.value) and "line 5: 1 fields" in str(info.value)
    articles, _, problems = load_corpus_audited(FIXTURES / "bad_rows.csv", on_bad_lines="skip")
    assert list(articles["doc_id"]) == ["r1", "r3"]
    assert list(problems["reason"]) == ["bad_csv_row", "bad_csv_row"]


def test_skipped_lines_reach_exclusions(tmp_path):
    tables = prepare_corpus(FIXTURES / "bad_lines.jsonl", out_dir=tmp_path, on_bad_lines="skip")
    excluded = tables.exclusions.set_index("doc_id")
    assert excluded.loc["bad_lines:line2", "reason"] == "bad_json_line"
    assert "line 4" in excluded.loc["bad_lines:line4", "detail"]
    assert set(tables.articles["doc_id"]) == {"j1", "j2"}


def test_duplicate_ids_and_metadata_for_missing_file(tmp_path):
    (tmp_path / "d.csv").write_text(f'id,text\n1,"{ENGLISH}"\n1,"{ENGLISH}"\n', encoding="utf-8")
    with pytest.raises(CorpusInputError, match="duplicate document ids"):
        load_corpus(tmp_path / "d.csv")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "metadata.csv").write_text("doc_file,outlet\nb.txt,X\n", encoding="utf-8")
    with pytest.raises(CorpusInputError, match="b.txt"):
        load_corpus(folder)


# --- prepare_corpus: exclusions, outputs, cache -----------------------------------------

@pytest.fixture
def mixed_corpus(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    other = ("Japan's SoftBank pledged forty billion dollars to OpenAI on Monday, lifting the "
             "valuation of the artificial intelligence pioneer. Analysts in Tokyo said the deal "
             "would test the conglomerate's balance sheet for years to come.")
    files = {
        "a_original.txt": ENGLISH + " " + other,
        "b_copy.txt": ENGLISH + " " + other,
        "c_near.txt": ENGLISH + " " + other.replace("Monday", "Tuesday"),
        "d_short.txt": "Too short.",
        "e_french.txt": ("La start-up chinoise DeepSeek a publié un modèle d'intelligence "
                         "artificielle très bon marché, qui inquiète les géants américains de la "
                         "Silicon Valley et fait chuter les actions de Nvidia à Wall Street."),
        "f_other.txt": other,
        "g_empty.txt": "",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_prepare_corpus_excludes_with_reasons(mixed_corpus, tmp_path):
    tables = prepare_corpus(mixed_corpus, out_dir=tmp_path / "out", min_chars=50)
    reasons = dict(zip(tables.exclusions["doc_id"], tables.exclusions["reason"]))
    assert reasons == {"g_empty": "empty", "d_short": "too_short", "e_french": "non_english",
                       "b_copy": "exact_duplicate", "c_near": "near_duplicate"}
    dup_of = dict(zip(tables.exclusions["doc_id"], tables.exclusions["duplicate_of"]))
    assert dup_of["b_copy"] == "a_original" and dup_of["c_near"] == "a_original"
    assert "zero-byte file" in tables.exclusions.set_index("doc_id").loc["g_empty", "detail"]
    assert list(tables.articles["doc_id"]) == ["a_original", "f_other"]
    assert set(tables.sentences["doc_id"]) == {"a_original", "f_other"}
    assert list(tables.exclusions.columns) == ["doc_id", "source_path", "reason", "detail",
                                               "duplicate_of"]


def test_near_duplicate_threshold_is_a_parameter(mixed_corpus, tmp_path):
    strict = prepare_corpus(mixed_corpus, out_dir=tmp_path / "o", min_chars=50,
                            near_duplicate_threshold=0.99)
    assert "c_near" in set(strict.articles["doc_id"])
    with pytest.raises(ValueError, match="threshold"):
        prepare_corpus(mixed_corpus, out_dir=tmp_path / "o2", near_duplicate_threshold=0)


def test_find_duplicates_keeps_first_and_reports_similarity():
    text = " ".join(f"word{i}" for i in range(60))
    articles = pd.DataFrame({"doc_id": ["x", "y", "z", "w"],
                             "text": [text, text.upper(), text.replace("word59", "other"), "unrelated text"]})
    result = find_duplicates(articles, threshold=0.8)
    assert list(result["doc_id"]) == ["y", "z"]
    assert list(result["kind"]) == ["exact", "near"]
    assert list(result["duplicate_of"]) == ["x", "x"]
    assert 0.8 <= result["similarity"].iloc[1] < 1


def test_near_duplicates_match_brute_force_jaccard():
    import random

    from analysis.corpus.duplicates import _shingles

    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(300)]
    bases = [[rng.choice(vocabulary) for _ in range(120)] for _ in range(6)]
    texts = []
    for i in range(40):
        words = list(bases[i % 6])
        for _ in range(rng.choice([0, 1, 2, 4, 8, 30])):  # a few edits -> similarity near 0.8
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        texts.append(" ".join(words))
    articles = pd.DataFrame({"doc_id": [f"d{i:02d}" for i in range(40)], "text": texts})
    result = find_duplicates(articles, threshold=0.8)
    kept, expected = [], set()
    for doc_id, text in zip(articles["doc_id"], texts):
        shingles = _shingles(text, 5)
        if any(len(shingles & other) / len(shingles | other) >= 0.8 for other in kept):
            expected.add(doc_id)
        else:
            kept.append(shingles)
    assert set(result["doc_id"]) == expected
    assert 0 < len(expected) < 40


def test_outputs_written_atomically_and_reused(mixed_corpus, tmp_path):
    out = tmp_path / "out"
    first = prepare_corpus(mixed_corpus, out_dir=out, min_chars=50)
    assert not first.reused
    names = sorted(p.name for p in out.iterdir())
    assert names == ["articles.parquet", "cleaning_log.csv", "exclusions.csv", "manifest.json",
                     "paragraphs.parquet", "sentences.parquet", "warnings.json"]  # no temporary files left
    assert all((p.stat().st_mode & 0o044) == 0o044 for p in out.iterdir())  # group/other readable
    second = prepare_corpus(mixed_corpus, out_dir=out, min_chars=50)
    assert second.reused
    pd.testing.assert_frame_equal(first.sentences, second.sentences)
    assert not prepare_corpus(mixed_corpus, out_dir=out, min_chars=60).reused  # parameter changed
    (mixed_corpus / "f_other.txt").write_text(ENGLISH + " Changed.", encoding="utf-8")
    changed = prepare_corpus(mixed_corpus, out_dir=out, min_chars=60)
    assert not changed.reused and "Changed." in changed.articles["text"].iloc[-1]


def test_default_out_dir_keys_by_corpus(tmp_path):
    assert default_out_dir(SEED_CORPUS_DIR) == PROCESSED_DIR
    a, b = default_out_dir(tmp_path / "x" / "c.jsonl"), default_out_dir(tmp_path / "y" / "c.jsonl")
    assert a.parent == PROCESSED_DIR and b.parent == PROCESSED_DIR and a != b


# --- shared public data (skips when absent) -------------------------------------------

def test_newsapi_dataset_loads(shared_dataset):
    path = shared_dataset("deepseek_newsapi_2025", "articles.jsonl")
    articles, log, _ = load_corpus_audited(path)
    assert len(articles) == 681 and articles["doc_id"].is_unique
    assert not articles["text"].str.contains(r"\[\+\d+ chars\]").any()
    assert (log["rule"] == "newsapi_truncation").sum() > 600
    english = articles["language"] == "en"
    assert 350 < english.sum() < 500
    assert articles.loc[articles["doc_id"] == "dsn_0201", "language"].item() == "ru"


# --- summaries for the notebook --------------------------------------------------------

def test_summaries_count_what_the_tables_hold(mixed_corpus, tmp_path):
    from analysis.corpus import summary as corpus_summary

    tables = prepare_corpus(mixed_corpus, out_dir=tmp_path / "out", min_chars=50)
    overview = dict(corpus_summary.summarize_corpus(tables).values)
    assert overview["documents loaded"] == "7" and overview["documents kept"] == "2"
    assert overview["sentences"] == str(len(tables.sentences))
    assert overview["earliest date"] == "(not stated)"
    exclusions = corpus_summary.summarize_exclusions(tables).set_index("reason")["n_documents"]
    assert exclusions.to_dict() == {"bad_json_line": 0, "unreadable_file": 0, "empty": 1,
                                    "too_short": 1, "non_english": 1, "language_not_kept": 0,
                                    "exact_duplicate": 1, "near_duplicate": 1, "bad_csv_row": 0}
    lengths = corpus_summary.document_lengths(tables)
    assert list(lengths["n_sentences"]) == list(tables.sentences.groupby("doc_id").size())
    documents = corpus_summary.summarize_documents(tables)
    assert list(documents["outlet"]) == ["(not stated)", "(not stated)"]
    assert corpus_summary.plot_document_lengths(lengths).axes[0].get_xlabel().startswith("words")


def test_seed_cleaning_summary(seed_tables):
    from analysis.corpus import summary as corpus_summary

    cleaning = corpus_summary.summarize_cleaning(seed_tables).set_index("rule")
    assert cleaning.loc["headline", "n_documents"] == 2
    assert cleaning["n_removals"].sum() == len(EXPECTED_SEED_REMOVALS)
    outlets = corpus_summary.summarize_outlets(seed_tables)
    assert outlets.set_index("outlet")["n_documents"].to_dict() == {
        "(not stated)": 4, "Reference News Network": 1}
