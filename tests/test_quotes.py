"""Reports quote third-party text in short passages, beside outlet and link; coded sentences are recognised."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import validity
from analysis.study.report import QUOTE_WORDS, quote_passages, shorten_quote
from analysis.study.runner import RunConfig, main, run_study

ELLIPSIS = "\u2026"
WORDS = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=6), min_size=0, max_size=80)


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w != ELLIPSIS]


@settings(max_examples=200, deadline=None)
@given(words=WORDS, limit=st.integers(1, 40), pick=st.integers(0, 79))
def test_a_shortened_quote_is_a_run_of_the_original_words_within_the_limit(words, limit, pick):
    text = " ".join(words)
    around = words[pick] if words and pick < len(words) else None
    out = shorten_quote(text, limit, around=around)
    kept = _words(out)
    assert len(kept) <= limit
    n = len(kept)
    runs = [words[i:i + n] for i in range(len(words) - n + 1)]
    assert kept in runs  # contiguous original words, nothing invented
    if len(words) <= limit:
        assert out == text  # short passages are untouched, spacing included
    else:
        assert len(kept) == limit and ELLIPSIS in out
        if around is not None:
            assert any(around in w for w in kept)


@pytest.mark.parametrize("text, limit, around, expected", [
    ("one two three", 3, None, "one two three"),
    ("  spaced   words  kept ", 5, None, "  spaced   words  kept "),
    ("a b c d e", 2, None, "a b " + ELLIPSIS),
    ("a b c d e", 2, "e", ELLIPSIS + " d e"),
    ("a b c d e f g", 3, "d", ELLIPSIS + " c d e " + ELLIPSIS),
    ("a b c d e", 2, "missing", "a b " + ELLIPSIS),
    ("Tokyo and Japan's AI plan is bold", 3, "japan", ELLIPSIS + " and Japan's AI " + ELLIPSIS),
    ("Kuala Lumpur hosts a data centre boom now", 3, "Kuala Lumpur", "Kuala Lumpur hosts " + ELLIPSIS),
])
def test_shorten_quote_cases(text, limit, around, expected):
    assert shorten_quote(text, limit, around=around) == expected


@pytest.mark.parametrize("value", [None, float("nan")])
def test_missing_passages_pass_through(value):
    out = shorten_quote(value, 3)
    assert out is value


@pytest.mark.parametrize("limit", [0, -1, 2.5, "30", True])
def test_a_bad_limit_is_refused_with_the_rule(limit):
    with pytest.raises(ValueError, match="quote_words"):
        shorten_quote("a b c", limit)


def test_none_keeps_whole_passages():
    text = " ".join(["w"] * 100)
    assert shorten_quote(text, None) == text


def test_quote_passages_cuts_named_columns_and_attributes_each_passage():
    long = " ".join(f"w{i}" for i in range(60)) + " China " + " ".join(f"v{i}" for i in range(60))
    table = pd.DataFrame({"country": ["CHN", "CHN"], "doc_id": ["a", "b"], "alias": ["China|Chinese", "China"],
                          "sentence": [long, "China is short."], "label": ["x", "y"]})
    articles = pd.DataFrame({"doc_id": ["a", "b"], "outlet": ["The Star", "BBC"],
                             "url": ["https://thestar.com.my/a", "https://bbc.co.uk/b"], "text": ["t", "t"]})
    out = quote_passages(table, "sentence", QUOTE_WORDS, around="alias", articles=articles)
    assert list(out.columns) == ["country", "doc_id", "outlet", "url", "alias", "sentence", "label"]
    assert len(_words(out.loc[0, "sentence"])) == QUOTE_WORDS and "China" in out.loc[0, "sentence"]
    assert out.loc[1, "sentence"] == "China is short."
    assert out["outlet"].tolist() == ["The Star", "BBC"] and out.loc[0, "url"] == "https://thestar.com.my/a"
    assert table.loc[0, "sentence"] == long  # the input is not modified


def test_quote_passages_refuses_a_column_it_would_silently_skip():
    table = pd.DataFrame({"doc_id": ["a"], "text": ["x"]})
    with pytest.raises(ValueError, match=r"\['sentence'\] not in the table"):
        quote_passages(table, ["sentence"], 30)


def test_quote_passages_keeps_existing_outlet_and_unknown_documents_get_empty_links():
    table = pd.DataFrame({"doc_id": ["a", "zzz"], "outlet": ["Own", "Own"], "text": ["x", "y"]})
    articles = pd.DataFrame({"doc_id": ["a"], "outlet": ["Registry"], "url": ["https://x.org/a"]})
    out = quote_passages(table, "text", 30, articles=articles)
    assert out["outlet"].tolist() == ["Own", "Own"] and out["url"].tolist() == ["https://x.org/a", ""]


@pytest.mark.parametrize("args, expected", [([], None), (["--quote-words", "12"], 12),
                                            (["--quote-words", "all"], "all"), (["--quote-words", "30"], None)])
def test_quote_words_option_reaches_every_notebook_only_when_it_differs(args, expected, monkeypatch, tmp_path):
    seen = {}

    def fake_run(config, **kwargs):
        seen["params"] = config.parameters()
        return []

    monkeypatch.setattr("analysis.study.runner.run_study", fake_run)
    assert main(["run", "--out", str(tmp_path / "r"), *args]) == 0
    if expected is None:
        assert "quote_words" not in seen["params"]
    else:
        assert seen["params"]["quote_words"] == (None if expected == "all" else expected)


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_quote_words_option_refuses_non_counts(value, capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["run", "--out", str(tmp_path / "r"), "--quote-words", value])
    assert "number of words" in capsys.readouterr().err


def test_run_study_refuses_a_bad_quote_limit_before_running(tmp_path):
    with pytest.raises(ValueError, match="--quote-words"):
        run_study(RunConfig(out=tmp_path / "r", quote_words=0), log=lambda *a, **k: None)
    assert not (tmp_path / "r").exists()


def test_every_notebook_showing_text_declares_the_quote_limit():
    from analysis.study.runner import declared_parameters, list_notebooks

    for book in list_notebooks():
        assert "quote_words" in declared_parameters(book), book.name


# --- coded sentences the in-domain heads were fitted on -------------------------------------------------------

LONG = "China's DeepSeek released a model that rivals the best American systems at a fraction of the cost."


@pytest.mark.parametrize("a, b", [("China leads.", "china   leads."), (" Japan\tinvests ", "JAPAN invests"),
                                  ("Malaysia\nbuilds", "malaysia builds")])
def test_sentence_key_ignores_case_and_spacing(a, b):
    assert validity.sentence_key(a) == validity.sentence_key(b)
    assert validity.sentence_shingles(a) == validity.sentence_shingles(b)


def test_sentence_key_separates_different_words():
    assert validity.sentence_key("China leads.") != validity.sentence_key("China leads")


@pytest.mark.parametrize("n_words", [1, 7, 8, 9, 20])
def test_shingles_cover_every_run_of_words(n_words):
    words = [f"w{i}" for i in range(n_words)]
    expected = 1 if n_words < validity.SHINGLE_WORDS else n_words - validity.SHINGLE_WORDS + 1
    assert len(validity.sentence_shingles(" ".join(words))) == expected


def _keys(tmp_path, sentences, countries):
    gold = pd.DataFrame({"sentence": sentences, "country": countries})
    return validity.write_coded_sentence_keys(gold, tmp_path / "keys.csv")


@pytest.mark.parametrize("sentence, country, expected", [
    (LONG, "CHN", True),                                              # the coded sentence itself
    ("  " + LONG.upper() + " ", "CHN", True),                          # case and spacing
    ("Beijing, 27 January. " + LONG, "CHN", True),                     # split differently: dateline joined
    (LONG.split(" at a ")[0] + ".", "CHN", True),                      # cut short, 8+ words kept
    (LONG, "JPN", False),                                             # same sentence, another country's item
    ("China's DeepSeek released a model last week.", "CHN", False),    # 5 shared words only
    ("Japan invests.", "JPN", True),                                   # a short coded sentence, whole
    ("Japan invests heavily.", "JPN", False),
])
def test_mark_coded_finds_overlapping_sentences_of_the_same_country(tmp_path, sentence, country, expected):
    path = _keys(tmp_path, [LONG, "Japan invests."], ["CHN", "JPN"])
    assert "DeepSeek" not in path.read_text() and "invests" not in path.read_text()  # stand-off: hashes only
    table = pd.DataFrame({"doc_id": ["d"], "sentence": [sentence], "country": [country]})
    assert validity.mark_coded(table, path=path).tolist() == [expected]


def test_coded_note_counts_rows_and_articles(tmp_path):
    path = _keys(tmp_path, [LONG], ["CHN"])
    table = pd.DataFrame({"doc_id": ["d1", "d1", "d2", "d3"], "sentence": [LONG, "Other words here.", LONG, "x"],
                          "country": ["CHN", "CHN", "CHN", "JPN"]})
    coded = validity.mark_coded(table, path=path)
    assert coded.tolist() == [True, False, True, False]
    assert validity.coded_note(table, coded).startswith("2 of 4 mentions (50%, in 2 articles)")
    assert validity.coded_note(table, coded & False).startswith("None of the 4 mentions")


def test_mark_coded_names_a_missing_column():
    with pytest.raises(ValueError, match=r"\['sentence'\]"):
        validity.mark_coded(pd.DataFrame({"text": ["x"], "country": ["CHN"]}))


def test_committed_coded_keys_are_stand_off_and_unique():
    keys = pd.read_csv(validity.CODED_SENTENCES, dtype=str)
    assert list(keys.columns) == ["shingle", "country"]
    assert keys["shingle"].str.fullmatch(r"[0-9a-f]{12}").all()
    assert not keys.duplicated().any()
    assert set(keys["country"]) == {"CHN", "JPN", "MYS"}


@pytest.mark.parametrize("country", ["CHN", "JPN", "MYS"])
def test_no_sentence_of_the_bundled_articles_overlaps_the_coded_sentences(country):
    """The bundled articles were never coded: a flag here would be a false match (a shared phrase)."""
    from analysis import corpus
    from analysis.paths import SEED_CORPUS_DIR

    articles = corpus.load_corpus(SEED_CORPUS_DIR)
    _, sentences = corpus.segment_articles(articles)
    table = sentences.assign(country=country)
    assert len(table) > 100
    assert not validity.mark_coded(table, text="text").any()


@pytest.mark.shared_data
def test_committed_coded_keys_are_the_coded_rounds(shared_dataset):
    from analysis import paths
    from analysis.annotation.gold import load_gold
    from analysis.framing.measure import load_codebook

    shared_dataset("ai_news_portrayal_dev")
    if not paths.COLLECTED_DIR.exists():
        pytest.skip(f"collected pages of round r2 not on this machine ({paths.COLLECTED_DIR})")
    gold = load_gold(load_codebook()["id"].tolist())
    expected = validity.coded_sentence_keys(gold)
    committed = pd.read_csv(validity.CODED_SENTENCES, dtype=str)
    pd.testing.assert_frame_equal(committed, expected.astype(str))


@pytest.mark.parametrize("text, around, kept", [
    ("The flexible maximum policy was set " + " ".join(f"w{i}" for i in range(30)) + " by Xi Jinping today",
     "Xi Jinping", "Xi"),
    ("Policy on chips " + " ".join(f"w{i}" for i in range(30)) + " said Li Qiang in Beijing", "Li Qiang", "Li"),
    (" ".join(f"w{i}" for i in range(30)) + " and Japan's chips", "Japan", "Japan's"),
    (" ".join(f"w{i}" for i in range(30)) + " the Chinese-developed model", "Chinese", "Chinese-developed"),
])
def test_the_window_keeps_the_whole_word_mention_not_a_word_containing_it(text, around, kept):
    out = shorten_quote(text, 6, around=around)
    assert kept in out.split(), out


def test_quotes_of_one_article_never_join_into_a_longer_passage():
    article = " ".join(f"a{i}" for i in range(200))
    articles = pd.DataFrame({"doc_id": ["d"], "outlet": ["X"], "url": ["https://x.org/d"], "text": [article]})

    def run(a, b):
        return " ".join(f"a{i}" for i in range(a, b))

    table = pd.DataFrame({"doc_id": ["d"] * 5, "text": [run(10, 30), run(30, 50), run(12, 20), run(28, 31),
                                                         run(100, 120)]})
    out = quote_passages(table, "text", 30, articles=articles)["text"].tolist()
    assert out[0] == run(10, 30)                      # first quote kept
    assert out[1] == ELLIPSIS + " " + run(31, 50) + " " + ELLIPSIS  # adjoining quote trimmed, one word apart
    assert out[2] == run(12, 20)                      # repeats words already quoted: no longer passage
    assert "overlaps a passage quoted above" in out[3]
    assert out[4] == run(100, 120)                    # elsewhere in the article: untouched
    whole = quote_passages(table, "text", None, articles=articles)["text"].tolist()
    assert whole == table["text"].tolist()            # private reports: whole passages, nothing trimmed
