"""Hostile inputs for analysis.corpus.text / analysis.corpus.webpage: huge files, odd encodings, binaries, page chrome.

No test here times anything: a test of the linear algorithms is one that would
never finish with the old quadratic ones.
"""

from __future__ import annotations

import codecs
import gzip
import io
import random
import re
import struct
import zipfile
import zlib
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.corpus import text as text_module
from analysis.corpus.prepare import load_corpus, load_corpus_audited
from analysis.corpus.language import detect_language
from analysis.corpus.text import (
    BinaryFileError, BoilerplateRule, CleanResult, TextDecodeError, clean_text, decode_bytes,
    load_boilerplate_rules, normalize_text,
)
from analysis.corpus.webpage import html_to_text

ENGLISH = ("The city council approved the new bridge on Tuesday after a long debate about its "
           "cost. Construction is expected to start next spring and to last about two years.")


# --- reference: clean_text as it was before the linear sweep ------------------------------

def reference_subtract(start, end, removed):
    """The old quadratic ``_subtract``: [start, end) minus each removed interval in turn."""
    pieces = [(start, end)]
    for r_start, r_end in removed:
        pieces = [part for a, b in pieces
                  for part in ((a, min(b, r_start)), (max(a, r_end), b)) if part[1] > part[0]]
    return pieces


def reference_clean(text, rules, title=""):
    """The old clean_text (line plan unchanged; quadratic inline loop; regex whitespace tidy)."""
    by_name = {r.name: r for r in rules}
    plan, found_title = text_module._plan_line_removals(text, rules, title)
    result = CleanResult(text="", title="" if title else found_title)
    spans, removed = text_module._line_spans(text), []
    for i, (name, match) in sorted(plan.items()):
        start, end = spans[i]
        rule = by_name.get(name)
        result.log.append({"rule": name, "scope": rule.scope if rule else "headline",
                           "reason": rule.reason if rule else text_module._HEADLINE_REASON,
                           "removed_text": text[start:end].strip(), "start": start})
        if rule and rule.capture and match is not None and rule.capture not in result.captured:
            result.captured[rule.capture] = (match.groupdict().get(rule.capture) or match.group(0)).strip()
            result.captured[f"{rule.capture}_evidence"] = text[start:end].strip()
        removed.append((start, min(end + 1, len(text))))
    for rule in (r for r in rules if r.scope == "inline"):
        for match in rule.regex.finditer(text):
            fresh = reference_subtract(match.start(), match.end(), removed)
            if fresh:
                result.log.append({"rule": rule.name, "scope": rule.scope, "reason": rule.reason,
                                   "removed_text": "".join(text[a:b] for a, b in fresh).strip(),
                                   "start": fresh[0][0]})
                removed.extend(fresh)
    kept, position = [], 0
    for start, end in sorted(removed):
        kept.append(text[position:start] if start > position else "")
        position = max(position, end)
    kept = "".join(kept) + text[position:]
    kept = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", re.sub(r"[ \t]+(?=\n)", "", kept))
    result.text = kept.strip()
    result.log.sort(key=lambda row: row["start"])
    return result


def _rule(name, scope, pattern):
    return BoilerplateRule(name, scope, re.compile(pattern), "", f"test rule {name}")


# Dense, overlapping rules on a tiny alphabet: inline matches cross line removals,
# each other and line ends, which is where a subtraction sweep can go wrong.
DENSE_RULES = (
    _rule("xs", "line", r"x+"), _rule("hs", "head_line", r"h+"), _rule("ts", "tail_line", r"t+ ?t*"),
    _rule("ab", "inline", r"ab"), _rule("bc", "inline", r"b+c?"), _rule("a3c", "inline", r"a.{0,3}c"),
    _rule("c_start", "inline", r"(?m)^c+"), _rule("space_a", "inline", r"\s+a"),
    _rule("c_nl_a", "inline", r"c\n+a"),
)
REAL_FRAGMENTS = st.sampled_from([
    "Advertisement", "Photo credit: Reuters", "Technology", "31 January 2025", "AI, Japan",
    "Original: https://x.org/a", " (Translated by Ann Lee)", " (音)", "… [+12 chars]", "<b>", "</b>",
    "The post X appeared first on Y.", "  ", "\t", "\n", "\n\n\n", "# ", "Body text here.",
    "Share this", "We use cookies to help us.", "If you click 'Accept all', we and our partners x",
])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcxht \n", max_size=120), st.sampled_from(["", "h"]))
def test_clean_text_matches_old_algorithm_on_dense_overlaps(text, title):
    assert clean_text(text, rules=DENSE_RULES, title=title) == reference_clean(text, DENSE_RULES, title)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(REAL_FRAGMENTS, st.text(alphabet="ab (音)…[+]\n<>", max_size=12)),
                max_size=25), st.sampled_from(["", "Known title"]))
def test_clean_text_matches_old_algorithm_with_real_rules(parts, title):
    text = normalize_text("".join(parts))
    rules = load_boilerplate_rules()
    assert clean_text(text, title=title) == reference_clean(text, rules, title)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8)), max_size=15),
       st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8)), max_size=15))
def test_uncovered_equals_old_subtract(covered, spans):
    covered = [(a, a + n) for a, n in covered]
    matches, position = [], -1
    for start, length in sorted(spans):  # like regex matches: in order, not overlapping
        if start >= position:
            matches.append((start, start + length))
            position = start + length
    spans = matches
    merged = text_module._merge_spans(covered)
    assert text_module._uncovered(spans, merged) == [reference_subtract(a, b, covered) for a, b in spans]


OLD_PATTERNS = {  # the inline patterns before their leading \s* was anchored (quadratic on long blanks)
    "translator_credit": (r"\s*[(（]\s*(?:Translated|Compiled|Edited|Translation) by\s*[:：]?\s*"
                          r"[^()（）\n]{1,60}[)）]", re.I),
    "newsapi_truncation": (r"…?\s*\[\+\d+ chars\]", 0),
    "feed_footer": (r"\s*The post .{1,300}? appeared first on .{1,100}?\.", 0),
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([" ", "\n", "\t", "…", "x", "(", ")", "Translated by A", "[+3 chars]",
                                 "The post ", " appeared first on ", "Y.", "音"]), max_size=30))
def test_rewritten_inline_patterns_match_exactly_what_the_old_ones_did(parts):
    text = "".join(parts)
    rules = {r.name: r for r in load_boilerplate_rules()}
    for name, (pattern, flags) in OLD_PATTERNS.items():
        old = [m.span() for m in re.finditer(pattern, text, flags)]
        assert [m.span() for m in rules[name].regex.finditer(text)] == old, name


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\u3000\r\x0bab", max_size=60))
def test_tidy_whitespace_equals_the_old_regexes(text):
    old = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", re.sub(r"[ \t]+(?=\n)", "", text)).strip()
    assert text_module._tidy_whitespace(text) == old


def test_twenty_thousand_boilerplate_lines_are_all_removed_and_logged():
    lines = []
    for i in range(20_000):
        lines += ["Advertisement", f"Paragraph {i} has <b>bold</b> words (Translated by Ann Lee) in it."]
    result = clean_text("\n".join(lines), title="Known title")
    assert Counter(row["rule"] for row in result.log) == {
        "share_prompt": 20_000, "html_tag": 40_000, "translator_credit": 20_000}
    assert result.text == "\n".join(f"Paragraph {i} has bold words in it." for i in range(20_000))
    starts = [row["start"] for row in result.log]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


LONG = 200_000


@pytest.mark.parametrize(("text", "expected", "logged"), [
    # runs of blanks that do not end a line: the old whitespace and credit regexes backtracked
    # quadratically on them (minutes for these sizes)
    ("Body." + " " * LONG + "end", "Body." + " " * LONG + "end", []),
    ("Body." + " " * LONG + "(Translated by Ann Lee)", "Body.", ["(Translated by Ann Lee)"]),
    ("Body." + "\t " * LONG + "x", "Body." + "\t " * LONG + "x", []),
    ("Body." + " " * LONG + "[+12 chars]", "Body.", ["[+12 chars]"]),
    ("Body." + " " * LONG + "The post A appeared first on B.", "Body.", ["The post A appeared first on B."]),
    ("Body" + "\n" * LONG + "end", "Body\n\nend", []),
    ("Body" + " \n" * LONG + "end", "Body\n\nend", []),
    ("Body" + " " * LONG + "\nend", "Body\nend", []),
    ("<" * LONG + "a", "<" * LONG + "a", []),
])
def test_long_blank_runs_and_markup_finish(text, expected, logged):
    result = clean_text(text, title="Known title")
    assert result.text == expected
    assert [row["removed_text"] for row in result.log] == logged


# --- encodings ----------------------------------------------------------------------------

JAPANESE = [
    "日本銀行は金融政策決定会合で、短期金利の誘導目標を引き上げることを決めた。",
    "東京株式市場で日経平均株価が大幅に反落した。半導体関連株に売りが広がった。",
    "半導体関連株に売りが広がり、投資家の間では警戒感が強まった。",
    "政府は来年度予算案を閣議決定した。防衛費と社会保障費が過去最大となる。",
]
CHINESE = "中国人工智能公司发布了新的大语言模型，引起了全球市场的关注。分析人士认为训练成本很低。"
TRADITIONAL = "台灣半導體產業在全球供應鏈中扮演關鍵角色，政府宣布將擴大投資。"
KOREAN = "삼성전자는 반도체 투자를 늘리기로 했다. 시장은 크게 반응했다."
RUSSIAN = "Центральный банк повысил ключевую ставку, сославшись на рост цен и зарплат."
FRENCH = "Le conseil municipal a approuvé le nouveau pont après un long débat sur son coût."
HINDI = "नगर परिषद ने मंगलवार को नए पुल को मंजूरी दी। निर्माण अगले साल शुरू होगा और दो साल चलेगा।"
ARABIC = "وافق مجلس المدينة على الجسر الجديد يوم الثلاثاء بعد نقاش طويل حول التكلفة."
GREEK = "Το δημοτικό συμβούλιο ενέκρινε τη νέα γέφυρα την Τρίτη μετά από μακρά συζήτηση."


@pytest.mark.parametrize("encoding", ["euc_jp", "shift_jis", "iso2022_jp"])
@pytest.mark.parametrize("text", JAPANESE)
def test_japanese_legacy_encodings_decode(text, encoding):
    assert decode_bytes(text.encode(encoding)) == (text, encoding)


@pytest.mark.parametrize(("text", "encoding"), [
    (CHINESE, "gb18030"), (TRADITIONAL, "big5"), (KOREAN, "euc_kr"), (RUSSIAN, "cp1251"),
    (FRENCH, "cp1252"),
])
def test_other_legacy_encodings_still_decode(text, encoding):
    assert decode_bytes(text.encode(encoding)) == (text, encoding)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize(("text", "language"), [
    (ENGLISH, "en"), (FRENCH + " " + FRENCH, "fr"), (RUSSIAN, "ru"), (JAPANESE[0] + "\n" + JAPANESE[1], "ja"),
    (CHINESE, "zh"), ("Café " + ENGLISH, "en"), (JAPANESE[2], "ja"), (HINDI, "hi"), (ARABIC, "ar"),
    (GREEK, "el"),
])
def test_unicode_without_bom_decodes(text, language, encoding):
    decoded, used = decode_bytes(text.encode(encoding), source="x.txt")
    assert (decoded, used) == (text, encoding)
    assert detect_language(decoded)[0] == language


def test_utf16_without_bom_is_not_labelled_turkish_through_the_loader(tmp_path):
    (tmp_path / "a.txt").write_bytes(("Café owners said " + ENGLISH).encode("utf-16-le"))
    (tmp_path / "b.txt").write_bytes(("Café owners said " + ENGLISH).encode("utf-16-be"))
    articles = load_corpus(tmp_path).set_index("doc_id")
    assert list(articles["encoding"]) == ["utf-16-le", "utf-16-be"]
    assert list(articles["language"]) == ["en", "en"]
    assert articles.loc["a", "text"].startswith("Café owners said The city council")


@pytest.mark.parametrize(("data", "encoding"), [
    # a stray control byte in otherwise ordinary text is not a reason to reinterpret it
    ((FRENCH * 20).encode("utf-8") + b"\x00", "utf-8"),
    ((FRENCH * 20).encode("cp1252") + b"\x00", "cp1252"),
    ((ENGLISH * 10).encode("ascii") + b"\x1a", "utf-8"),  # DOS end-of-file marker
    ("a\x00b\x01c".encode("utf-8"), "utf-8"),
])
def test_stray_control_bytes_keep_the_text_encoding(data, encoding):
    assert decode_bytes(data)[1] == encoding


def _png() -> bytes:
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body
                                + struct.pack(">I", zlib.crc32(kind + body)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00" * 4)) + chunk(b"IEND", b""))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("story.txt", ENGLISH)
    return buffer.getvalue()


_RNG = random.Random(7)
BINARIES = [
    (_png(), "PNG image"),
    (b"GIF89a\x02\x00\x02\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,",
     "GIF image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200), "JPEG image"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF document"),
    (_zip(), "ZIP archive"),
    (gzip.compress(ENGLISH.encode()), "gzip archive"),
    (bytes(_RNG.choice([0, 0, 0, 1, 2, 65, 66, 200]) for _ in range(4000)), "binary file"),  # NUL-heavy
    (bytes(_RNG.getrandbits(8) for _ in range(4000)), "binary file"),  # compressed/encrypted-like
    (b"name.txt" + bytes(92) + b"0000644\x00" + bytes(400) + ENGLISH.encode() * 4 + bytes(600),  # tar-like
     "binary file"),
]


@pytest.mark.parametrize(("data", "kind"), BINARIES)
def test_binary_files_are_refused_with_a_clear_error(data, kind):
    with pytest.raises(BinaryFileError) as info:
        decode_bytes(data, source="corpus/story.txt")
    message = str(info.value)
    assert message.startswith("corpus/story.txt: ")
    assert kind in message
    assert "not text" in message
    assert re.search(r"[Rr]emove it|extract its text|unpack it|convert it", message)
    assert isinstance(info.value, TextDecodeError) and isinstance(info.value, ValueError)


def test_png_renamed_txt_stops_the_load_naming_the_file(tmp_path):
    (tmp_path / "good.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "photo.txt").write_bytes(_png())
    with pytest.raises(BinaryFileError, match=r"photo\.txt: this is a PNG image, not text"):
        load_corpus(tmp_path)


@pytest.mark.parametrize("data", [
    codecs.BOM_UTF16_LE + "Truncated.".encode("utf-16-le") + b"x",
    codecs.BOM_UTF8 + b"caf\xe9 au lait",
    ("A truncated UTF-16 file." * 3).encode("utf-16-le")[:-1],
])
def test_truncated_or_lying_unicode_is_an_error_not_garbage(data):
    with pytest.raises(TextDecodeError, match=r"^f\.txt: .*(Re-save|Re-export)"):
        decode_bytes(data, source="f.txt")


# --- HTML ---------------------------------------------------------------------------------

P1 = "The council approved the new bridge on Tuesday after a long debate about costs."
P2 = "Construction is expected to start next spring and last about two years."
BODY_TEXT = f"{P1}\n\n{P2}"
COMMENT = "What a waste of money this whole project is, I have said so for years and years."


@pytest.mark.parametrize(("html", "expected"), [
    # reader comments and related blocks inside <article>
    (f"<article><h1>Bridge</h1><p>{P1}</p><p>{P2}</p><section id='comments' class='comments-area'>"
     f"<h2>2 comments</h2><ol class='comment-list'><li><article class='comment'><p>{COMMENT}</p>"
     "</article></li></ol></section><div class='related-articles'><h3>Related</h3><ul><li>"
     "Council raises parking fees</li></ul></div></article>", BODY_TEXT),
    (f"<article><p>{P1}</p><div id='disqus_thread'><p>{COMMENT * 5}</p></div><p>{P2}</p></article>",
     BODY_TEXT),
    (f"<article><p>{P1}</p><aside><p>Pull quote</p></aside><div class='relatedArticles'><p>Other "
     f"story</p></div><section aria-label='Comments (12)'><p>{COMMENT}</p></section><p>{P2}</p>"
     "<div class='read-more'><p>Read more: budget explained</p></div></article>", BODY_TEXT),
    (f"<article><p>{P1}</p><div class='you-may-also-like'><li>Teaser</li></div><p>{P2}</p>"
     "<div class='newsletter-signup'><p>Get our briefing every morning</p></div>"
     "<ul class='share-buttons'><li>Share on X</li></ul></article>", BODY_TEXT),
    # pages without <article>: the cookie banner, navigation, recommendations go
    (f"<body><div id='cookie-banner'><p>We value your privacy and so do our partners.</p>"
     f"<button>Accept all</button></div><div class='page'><div class='content'><p>{P1}</p>"
     f"<p>{P2}</p></div></div><div class='recommended'><p>Ten things to do</p></div></body>", BODY_TEXT),
    (f"<body><div role='dialog' aria-label='Privacy choices'><p>Choose what we may store.</p></div>"
     f"<div class='onetrust-banner-sdk'><p>Consent text</p></div><div role='navigation'><li>Home"
     f"</li></div><main><p>{P1}</p><section aria-label='Related stories'><p>Teaser text</p>"
     f"</section><p>{P2}</p></main><div class='site-footer'><p>Contact us</p></div></body>", BODY_TEXT),
    (f"<body><div class='CybotCookiebotDialog'><p>This website uses cookies</p></div><div><p>{P1}</p>"
     f"<p>{P2}</p></div><div class='most-read'><li>Popular thing</li></div></body>", BODY_TEXT),
    # the body is never dropped, whatever its markup says
    (f"<article><div class='entry share-enabled'><p>{P1}</p><p>{P2}</p><div class='share-bar'>"
     "<p>Share on X</p></div></div></article>", BODY_TEXT),
    (f"<article class='post sponsored'><p>{P1}</p><p>{P2}</p></article>", BODY_TEXT),
    (f"<body class='single comments-open'><div class='has-comments'><p>{P1}</p><p>{P2}</p></div></body>",
     BODY_TEXT),
    (f"<div class='trending-stories'><article><p>Teaser one</p></article></div>"
     f"<article class='story'><p>{P1}</p><p>{P2}</p></article>", BODY_TEXT),
    (f"<article><div class='story-body'><p>{P1}</p><p>{P2}</p></div><div class='related'><p>"
     f"{COMMENT}</p><p>{COMMENT}</p><p>{COMMENT}</p></div></article>", BODY_TEXT),
    # words like 'comment' or 'related' inside the text are text
    ("<article><p>Asked for comment, the council said costs were related to steel.</p></article>",
     "Asked for comment, the council said costs were related to steel."),
    (f"<article class='commentary'><p>{P1}</p></article>", P1),
])
def test_html_to_text_drops_chrome_keeps_body(html, expected):
    assert html_to_text(html)["text"] == expected


def test_unmarked_cookie_notice_is_cut_and_logged_by_the_text_rules(tmp_path):
    page = (f"<html><head><title>Bridge approved</title></head><body><div><p>We use cookies to "
            "personalise content and ads.</p><p>Accept all</p><p>Manage preferences</p></div>"
            f"<div><p>{P1}</p><p>{P2}</p></div></body></html>")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    articles, log, _ = load_corpus_audited(tmp_path)
    assert articles.loc[0, "text"] == BODY_TEXT
    assert list(log["rule"]) == ["cookie_notice"] * 3
    assert list(log["removed_text"]) == ["We use cookies to personalise content and ads.",
                                         "Accept all", "Manage preferences"]


@pytest.mark.parametrize("text", [
    f"{P1}\nWe use cookies to bake the pies, the owner said.\n{P2}",  # not at the head: body text
    f"{P1}\ncomments related share consent cookie\n{P2}",  # html_block rules never touch text
])
def test_text_rules_leave_body_mentions_of_cookies_alone(text):
    result = clean_text(text, title="Known title")
    assert result.text == text and result.log == []


def test_minhash_in_chunks_equals_one_batch():
    """duplicates._minhash hashes shingles in chunks (bounded memory); the signature must not change."""
    from datasketch import MinHash

    from analysis.corpus import duplicates as duplicates

    shingles = {f"word{i} word{i + 1} word{i + 2}" for i in range(3 * duplicates._CHUNK + 7)}
    template = MinHash(num_perm=128, seed=1, hashfunc=duplicates._crc32)
    whole = MinHash(num_perm=128, seed=1, hashfunc=duplicates._crc32, permutations=template.permutations,
                    scheme=template.scheme)
    whole.update_batch([s.encode("utf-8") for s in shingles])
    assert (duplicates._minhash(shingles, template).hashvalues == whole.hashvalues).all()
