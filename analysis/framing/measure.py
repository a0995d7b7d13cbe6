"""Frames of news text: a codebook as data and the scorers of :data:`SCORERS` behind one interface.

The codebook (``analysis/resources/frames/codebook.json``) holds the five generic
news frames of Semetko & Valkenburg (2000) and issue-specific frames for AI
geopolitics. Every scorer returns one column per frame id with scores in
[0, 1]:

* ``"indomain"`` (the study's scorer): per sentence, the frame heads trained on AI-news sentences
  coded for the study codebook (:mod:`analysis.framing.domain`); frames with too few coded positives
  fall back to ``"combined"``. It scores the bundled codebook only;
* ``"dictionary"``: share-of-cues score, transparent and rule-based;
* ``"zero_shot"``: cosine similarity of the text to each frame's definition and
  exemplar sentences (no labelled data needed);
* ``"seeded"``: a dictionary-seeded classifier, fitted afresh on the texts being
  scored: for each frame, a logistic regression on sentence embeddings learns to
  separate the sentences with a cue word from those without, and scores every
  sentence, so sentences that carry the frame in other words are found too
  (weak supervision from the codebook; no human labels);
* ``"combined"`` (``"default"``, the label-free default for any codebook): the mean of the ``"seeded"`` and ``"zero_shot"``
  scores of each sentence;
* ``"supervised"``: a :class:`FrameClassifier` (one logistic regression per frame
  on sentence embeddings), either fitted by the user on a coded sample or the
  head shipped in ``resources/frames/`` that was trained on public data for the
  generic frames (``"pretrained"``).

Long texts are never truncated: they are split into sentences, each sentence is
scored and the scores are pooled: the mean of a text's k best sentences, where
k is 1 for the dictionary, zero-shot and seeded scorers and ``ceil(0.15 * n)``
of ``n`` sentences for the default (so a passage of up to six sentences is
scored by its best one and a 25-sentence article by its best four); the
supervised scorers use the mean sentence embedding. The seeded (and so the default)
scores depend on the whole set of texts scored together, as a topic model's do:
score the corpus in one call.
"""

from __future__ import annotations

import json
import numbers
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.embeddings import embed_texts
from analysis.io import quiet_progress
from analysis.numerics import quantize_embeddings, round_scores
from analysis.paths import RESOURCES_DIR
from analysis.corpus.segmentation import split_sentences as segment_sentences

__all__ = [
    "CodebookError", "FRAMES_DIR", "GENERIC_FRAMES", "load_codebook", "validate_codebook", "split_sentences",
    "score_frames", "predict_frames", "FrameClassifier", "cross_validate_frames",
    "load_pretrained_classifier",
    "embed_documents", "frame_prototypes", "SCORERS", "summarize_codebook", "load_validation",
    "train_frame_classifier",
]

FRAMES_DIR = RESOURCES_DIR / "frames"
GENERIC_FRAMES = ["conflict", "human_interest", "economic", "morality", "responsibility"]
ZERO_SHOT_OFFSET, ZERO_SHOT_SPAN = -0.05, 0.4
#: The seeded scorer fits a frame only with at least this many cue and no-cue sentences.
SEED_MIN_SENTENCES = 5
#: Beyond this many sentences the seeded scorer trains on a fixed-seed sample (all are still scored).
SEED_MAX_TRAIN = 20_000
#: Pooling of the default ("combined") scorer when ``top_k`` is not given: the mean of the best
#: ``ceil(0.15 * n)`` of a text's ``n`` sentences (the best one for texts of up to 6 sentences).
#: Chosen by two-way cross-fitting on Narrative Frames articles (bench/framing.py --select-pooling).
COMBINED_TOP_SHARE = 0.15
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_REQUIRED = ["id", "family", "label", "definition", "include", "exclude", "cues", "exemplars"]

class CodebookError(ValueError):
    """A frame codebook is malformed (the message names the file and the frame)."""


# ---------------------------------------------------------------- sentences
def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences: every line, then :func:`analysis.corpus.segmentation.split_sentences`.

    The same rules as the corpus pipeline (abbreviations that never or may end a
    sentence, sentence starters), so a passage is cut the same way everywhere;
    line breaks always end a sentence (headlines, list items). Only whitespace is lost.

    Example:
        >>> split_sentences("Mr. Lee said U.S. firms lead. China follows.")
        ['Mr. Lee said U.S. firms lead.', 'China follows.']
    """
    out: list[str] = []
    for line in text.splitlines():
        out += [line[a:b] for a, b in segment_sentences(line)]
    return out


def _embed(texts: list[str], *, model, cache_dir) -> np.ndarray:
    """:func:`embed_texts` without progress bars or the Jupyter tqdm warning (they break notebook reruns).

    Returned as float64 (the quantised vectors exactly), so every product and fit downstream has
    float64's margin below the 6 decimals the scores keep (see :mod:`analysis.numerics`).
    """
    kwargs = {} if cache_dir == "default" else {"cache_dir": cache_dir}
    with quiet_progress():
        return embed_texts(texts, model=model, **kwargs).astype(np.float64)


def embed_documents(texts, *, model="all-MiniLM-L6-v2", cache_dir="default") -> np.ndarray:
    """Embed texts of any length: mean of their sentence vectors, re-normalised.

    Args:
        texts: Sequence of strings.
        model: Embedding model (see :func:`analysis.embeddings.embed_texts`).
        cache_dir: ``"default"`` for the project cache, a folder, or ``None``.

    Returns:
        float32 array ``(len(texts), dim)``, quantised like the sentence vectors
        (:func:`analysis.numerics.quantize_embeddings`); an empty text gets the zero vector.
    """
    texts = _check_texts(texts)
    pieces = [split_sentences(t) for t in texts]
    flat = [s for p in pieces for s in p]
    vecs = _embed(flat, model=model, cache_dir=cache_dir) if flat else np.zeros((0, 384))
    dim = vecs.shape[1]
    out = np.zeros((len(texts), dim))
    pos = 0
    for i, p in enumerate(pieces):
        if p:
            v = vecs[pos:pos + len(p)].mean(axis=0)
            out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        pos += len(p)
    return quantize_embeddings(out)


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("Pass a list of texts, not a single string (wrap it: [text]).")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"Text {i} is {type(t).__name__}, not str; fill or drop missing texts first.")
    return texts


# ---------------------------------------------------------------- codebook
def _cue_regex(cue: str) -> str:
    body = "".join("[a-z0-9'\\-]*" if ch == "*" else "[a-z]" if ch == "?" else re.escape(ch) for ch in cue)
    # Word boundaries only where the cue itself starts/ends with a word character ("$" matches "$5").
    head = "(?<![a-z0-9])" if cue[0].isalnum() else ""
    tail = "(?![a-z0-9])" if cue[-1].isalnum() or cue[-1] in "*?" else ""
    return f"{head}{body}{tail}"


def _check_cue(cue, where: str) -> None:
    if not isinstance(cue, str) or not cue.strip():
        raise CodebookError(f"{where}: empty cue; remove it or write a word or phrase.")
    if cue != cue.lower() or cue != cue.strip() or "  " in cue:
        raise CodebookError(f"{where}: cue {cue!r} must be lower-case with single inner spaces.")
    if not re.fullmatch(r"[a-z0-9$][a-z0-9 '$.,\-?]*\*?( [a-z0-9$][a-z0-9'$.,\-?]*\*?)*", cue):
        raise CodebookError(f"{where}: cue {cue!r} is not valid: use letters, digits, spaces, ' - . , $, "
                            "'?' for one letter and '*' only at the end of a word.")


def validate_codebook(frames: list[dict], *, source: str = "codebook") -> pd.DataFrame:
    """Check a list of frame records and return them as a table.

    Args:
        frames: Records with keys ``id``, ``family``, ``label``, ``definition``,
            ``include``, ``exclude``, ``cues`` (list) and ``exemplars`` (list);
            ``questions`` (list) and ``source`` are optional.
        source: Name used in error messages (usually the file path).

    Returns:
        DataFrame, one row per frame, columns ``id``, ``family``, ``label``,
        ``definition``, ``questions``, ``include``, ``exclude``, ``cues``,
        ``exemplars``, ``source``.

    Raises:
        CodebookError: Missing field, duplicate or malformed id, empty
            definition, empty cue/exemplar list, or an invalid cue; the message
            names the file, the frame's position and id.
    """
    if not isinstance(frames, list) or not frames:
        raise CodebookError(f"{source}: 'frames' must be a non-empty list of frame records.")
    seen: set[str] = set()
    rows = []
    for i, fr in enumerate(frames):
        where = f"{source}, frame #{i} ({fr.get('id', '?') if isinstance(fr, dict) else '?'})"
        if not isinstance(fr, dict):
            raise CodebookError(f"{where}: each frame must be a mapping of fields.")
        missing = [k for k in _REQUIRED if k not in fr]
        if missing:
            raise CodebookError(f"{where}: missing field(s) {missing}.")
        if not isinstance(fr["id"], str) or not _ID.match(fr["id"]):
            raise CodebookError(f"{where}: id must be snake_case letters/digits starting with a letter.")
        if fr["id"] in seen:
            raise CodebookError(f"{where}: duplicate id {fr['id']!r}; frame ids must be unique.")
        seen.add(fr["id"])
        for key in ("label", "definition", "include", "exclude"):
            if not isinstance(fr[key], str) or not fr[key].strip():
                raise CodebookError(f"{where}: empty {key}; write one before using the codebook.")
        for key in ("cues", "exemplars"):
            if not isinstance(fr[key], list) or not fr[key]:
                raise CodebookError(f"{where}: '{key}' must be a non-empty list.")
        for cue in fr["cues"]:
            _check_cue(cue, where)
        if any(not isinstance(e, str) or not e.strip() for e in fr["exemplars"]):
            raise CodebookError(f"{where}: exemplar sentences must be non-empty strings.")
        rows.append({**{k: fr[k] for k in _REQUIRED}, "questions": list(fr.get("questions", [])),
                     "source": fr.get("source", "")})
    cols = ["id", "family", "label", "definition", "questions", "include", "exclude", "cues", "exemplars",
            "source"]
    return pd.DataFrame(rows, columns=cols)


def load_codebook(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate a frame codebook (JSON with a top-level ``frames`` list).

    Args:
        path: Codebook file; ``None`` for the study codebook
            ``analysis/resources/frames/codebook.json``.

    Returns:
        The table described in :func:`validate_codebook`.

    Raises:
        CodebookError: The file is not valid JSON or a frame is malformed.
    """
    path = Path(path) if path is not None else FRAMES_DIR / "codebook.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CodebookError(f"{path}: not valid JSON ({exc}); fix the file.") from exc
    if not isinstance(doc, dict) or "frames" not in doc:
        raise CodebookError(f"{path}: expected an object with a 'frames' list.")
    return validate_codebook(doc["frames"], source=str(path))


def _resolve_codebook(codebook) -> pd.DataFrame:
    if codebook is None or isinstance(codebook, (str, Path)):
        return load_codebook(codebook)
    if isinstance(codebook, pd.DataFrame):
        return validate_codebook(codebook.to_dict("records"), source="codebook table")
    return validate_codebook(list(codebook), source="codebook records")


# ---------------------------------------------------------------- scorers
def _pool(sentence_scores: np.ndarray, lengths: list[int], top_k: int | None,
          top_share: float = 0.0) -> np.ndarray:
    """Mean of the k best sentence scores of each text, per frame.

    ``k = top_k`` when it is given; otherwise ``k = max(1, ceil(top_share * n))`` for a text of
    ``n`` sentences, so a short passage is scored by its best sentence and a long article by its
    best few (one stray sentence does not frame an article).
    """
    out = np.zeros((len(lengths), sentence_scores.shape[1]))
    pos = 0
    for i, n in enumerate(lengths):
        if n:
            k = top_k if top_k is not None else max(1, int(np.ceil(top_share * n - 1e-9)))
            block = np.sort(sentence_scores[pos:pos + n], axis=0)[::-1][:k]
            out[i] = block.mean(axis=0)
        pos += n
    return out


def _cue_prefix(cue: str) -> str:
    """The literal text a cue's matches must contain: the cue up to its first wildcard."""
    return re.split(r"[*?]", cue, maxsplit=1)[0]


def _dictionary_sentence_scores(sentences: list[str], book: pd.DataFrame) -> np.ndarray:
    """hits / (hits + 1) per sentence and frame, ``hits`` = cue matches in the lower-cased sentence.

    The cue regex of a frame (an alternation with word-boundary look-arounds) is slow to run on
    every sentence, and most sentences carry no cue of most frames; it only runs where one of the
    frame's literal cue prefixes occurs as a substring, which every match implies (same result,
    about 6x faster on news text).
    """
    patterns = [re.compile("|".join(_cue_regex(c) for c in cues)) for cues in book["cues"]]
    prefixes = [tuple(sorted({_cue_prefix(c) for c in cues})) for cues in book["cues"]]
    lows = [s.lower() for s in sentences]
    scores = np.zeros((len(sentences), len(book)))
    for j, (pattern, prefix) in enumerate(zip(patterns, prefixes)):
        for i, low in enumerate(lows):
            if any(p in low for p in prefix):
                hits = len(pattern.findall(low))
                scores[i, j] = hits / (hits + 1.0)
    return scores


def frame_prototypes(book: pd.DataFrame, *, model="all-MiniLM-L6-v2", cache_dir="default") -> np.ndarray:
    """One unit vector per frame: mean embedding of its label+definition and its exemplar sentences."""
    protos = []
    for _, fr in book.iterrows():
        texts = [f"{fr['label']}: {fr['definition']}", *fr["exemplars"]]
        v = _embed(texts, model=model, cache_dir=cache_dir).mean(axis=0)
        protos.append(v / max(float(np.linalg.norm(v)), 1e-12))
    return np.vstack(protos)


def _zero_shot_sentence_scores(sentences, book, *, model, cache_dir) -> np.ndarray:
    vecs = _embed(sentences, model=model, cache_dir=cache_dir)
    sims = vecs @ frame_prototypes(book, model=model, cache_dir=cache_dir).T
    # Texts about AI and China resemble every AI-geopolitics prototype (cosine 0.3-0.5), so the
    # absolute similarity says little; what matters is how much closer a sentence is to one
    # frame than to the average frame of its family (generic or issue-specific). Scores are
    # that margin, mapped linearly so a margin of 0.15 sits at the decision score 0.5 (set once
    # from the FrAC and seed-article distributions; see bench/framing.py). A family with one
    # frame has no average: cosine 0.1 stands in.
    centre = np.zeros_like(sims)
    families = book["family"].to_numpy()
    for fam in np.unique(families):
        cols = families == fam
        centre[:, cols] = sims[:, cols].mean(axis=1, keepdims=True) if cols.sum() > 1 else 0.1
    return np.clip((sims - centre - ZERO_SHOT_OFFSET) / ZERO_SHOT_SPAN, 0.0, 1.0)


def _seeded_sentence_scores(sentences, book, *, model, cache_dir, min_sentences: int = SEED_MIN_SENTENCES,
                            max_train: int = SEED_MAX_TRAIN):
    """Dictionary-seeded scores and the frame ids that fell back to the dictionary (too few seeds)."""
    from sklearn.linear_model import LogisticRegression

    dictionary = _dictionary_sentence_scores(sentences, book)
    if not len(sentences):
        return dictionary, list(book["id"])
    vecs = _embed(sentences, model=model, cache_dir=cache_dir)
    scores, fallback = dictionary.copy(), []
    for j, frame in enumerate(book["id"]):
        seeds = dictionary[:, j] >= 0.5  # at least one cue word
        if min(int(seeds.sum()), int((~seeds).sum())) < min_sentences:
            fallback.append(frame)
            continue
        train = _seed_sample(seeds, max_train)
        clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=0)
        clf.fit(vecs[train], seeds[train])
        scores[:, j] = clf.predict_proba(vecs)[:, 1]
    return scores, fallback


def _seed_sample(seeds: np.ndarray, max_train: int) -> np.ndarray:
    """Rows to train on: all of them up to ``max_train``; beyond, a fixed-seed sample with up to half cue sentences."""
    rows = np.arange(len(seeds))
    if len(rows) <= max_train:
        return rows
    rng = np.random.default_rng(0)
    pos, neg = rows[seeds], rows[~seeds]
    n_pos = min(len(pos), max_train // 2)
    n_neg = min(len(neg), max_train - n_pos)
    return np.sort(np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)]))


# ---------------------------------------------------------------- supervised
class FrameClassifier:
    """One logistic regression per frame on text embeddings (multi-label), scikit-learn style.

    Args:
        C: Inverse regularisation strength of each logistic regression.
        class_weight: Passed to :class:`sklearn.linear_model.LogisticRegression`;
            ``"balanced"`` keeps rare frames from being ignored.
        threshold: Probability at or above which :meth:`predict` says a frame is present.
        random_state: Seed for the solver.

    Attributes:
        frames_: Frame ids, in column order.
        coef_: ``(n_frames, dim)`` weights; ``intercept_``: ``(n_frames,)``.
    """

    def __init__(self, *, C: float = 1.0, class_weight: str | None = "balanced", threshold: float = 0.5,
                 random_state: int = 0):
        self.C = C
        self.class_weight = class_weight
        self.threshold = threshold
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters (scikit-learn protocol)."""
        return {"C": self.C, "class_weight": self.class_weight, "threshold": self.threshold,
                "random_state": self.random_state}

    def fit(self, X, Y: pd.DataFrame) -> "FrameClassifier":
        """Fit one binary model per column of ``Y`` (booleans, one column per frame id); returns self.

        Raises:
            ValueError: Row counts differ or ``Y`` has no columns.
        """
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        if not isinstance(Y, pd.DataFrame) or Y.shape[1] == 0:
            raise ValueError("FrameClassifier.fit needs Y as a DataFrame with one boolean column per frame.")
        if len(Y) != X.shape[0]:
            raise ValueError(f"FrameClassifier.fit: {X.shape[0]} embeddings but {len(Y)} label rows.")
        self.frames_ = [str(c) for c in Y.columns]
        self.coef_ = np.zeros((len(self.frames_), X.shape[1]))
        self.intercept_ = np.zeros(len(self.frames_))
        for j, frame in enumerate(self.frames_):
            y = Y[frame].astype(bool).to_numpy()
            if y.all() or not y.any():  # a constant frame: predict its constant, say so in the probability
                self.intercept_[j] = 10.0 if y.all() else -10.0
                continue
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000,
                                    random_state=self.random_state).fit(X, y)
            self.coef_[j], self.intercept_[j] = lr.coef_[0], lr.intercept_[0]
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each frame, ``(n, n_frames)``, rounded to 6 decimals (:mod:`analysis.numerics`)."""
        if not hasattr(self, "coef_"):
            raise ValueError("FrameClassifier is not fitted: call fit(X, Y) or load_pretrained_classifier().")
        z = np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_
        return round_scores(1.0 / (1.0 + np.exp(-z)))

    def predict(self, X) -> np.ndarray:
        """Boolean frame presence, ``(n, n_frames)``."""
        return self.predict_proba(X) >= self.threshold

    def to_dict(self) -> dict:
        """JSON-ready parameters and weights (no pickle, so the shipped head is auditable)."""
        return {"params": self.get_params(), "frames": self.frames_, "coef": self.coef_.round(7).tolist(),
                "intercept": self.intercept_.round(7).tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "FrameClassifier":
        """Rebuild a fitted classifier from :meth:`to_dict` output."""
        clf = cls(**data["params"])
        clf.frames_ = list(data["frames"])
        clf.coef_ = np.asarray(data["coef"], dtype=np.float64)
        clf.intercept_ = np.asarray(data["intercept"], dtype=np.float64)
        return clf


def load_pretrained_classifier(path: str | Path | None = None) -> FrameClassifier:
    """Load the shipped generic-frame head (``resources/frames/generic_head.json``).

    Raises:
        FileNotFoundError: The head file is missing (rebuild it with
            ``python bench/framing.py --train-head``).
    """
    path = Path(path) if path is not None else FRAMES_DIR / "generic_head.json"
    if not path.is_file():
        raise FileNotFoundError(f"No trained frame head at {path}; build it with `.venv/bin/python "
                                "bench/framing.py --train-head` (needs the shared datasets).")
    return FrameClassifier.from_dict(json.loads(path.read_text(encoding="utf-8")))


def cross_validate_frames(
    X, Y: pd.DataFrame, *, folds=None, n_splits: int = 5, multiclass: bool = False, random_state: int = 0,
    **params,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validated precision/recall/F1 of a :class:`FrameClassifier` on a coded sample.

    Args:
        X: ``(n, dim)`` embeddings (e.g. from :func:`embed_documents`).
        Y: Boolean DataFrame, one column per frame (one-hot for single-label data).
        folds: Optional fold id per row (e.g. a dataset's published folds);
            otherwise ``n_splits`` shuffled (stratified when ``multiclass``) folds.
        multiclass: Predict exactly one frame per row (the most probable) instead
            of thresholding each frame.
        random_state: Seed for the split and the solver.
        **params: Passed to :class:`FrameClassifier`.

    Returns:
        ``(metrics, out_of_fold)``: metrics as in
        :func:`analysis.framing.validation.frame_metrics` (``frame``, ``precision``,
        ``recall``, ``f1``, ``support``, last row ``frame == "macro"``), and the
        out-of-fold probabilities (same index and columns as ``Y``).
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    from analysis.framing.validation import frame_metrics

    X = np.asarray(X)
    if folds is not None:
        folds = np.asarray(folds)
        splits = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in np.unique(folds)]
    elif multiclass:
        strat = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        splits = strat.split(X, Y.to_numpy().argmax(1))
    else:
        splits = KFold(n_splits, shuffle=True, random_state=random_state).split(X)
    oof = np.zeros(Y.shape)
    for train, test in splits:
        clf = FrameClassifier(random_state=random_state, **params).fit(X[train], Y.iloc[train])
        oof[test] = clf.predict_proba(X[test])
    proba = pd.DataFrame(oof, index=Y.index, columns=Y.columns)
    if multiclass:
        pred = pd.DataFrame(np.eye(Y.shape[1], dtype=bool)[oof.argmax(1)], index=Y.index, columns=Y.columns)
    else:
        pred = proba >= params.get("threshold", 0.5)
    return frame_metrics(Y.astype(bool), pred), proba


# ---------------------------------------------------------------- interface
SCORERS = ("default", "indomain", "combined", "seeded", "dictionary", "zero_shot", "supervised", "pretrained")


def score_frames(
    texts, *, scorer: str = "default", codebook=None, classifier: FrameClassifier | None = None,
    top_k: int | None = None, top_share: float | None = None, model="all-MiniLM-L6-v2",
    cache_dir="default",
) -> pd.DataFrame:
    """Score each text for each frame, in [0, 1].

    Args:
        texts: Sentences, paragraphs or whole articles (any mix). Long texts are
            split into sentences; each sentence is scored and a text's score is
            the mean of its k best sentences (dictionary, zero-shot, seeded,
            combined; see ``top_k`` and ``top_share``), or the classifier applied
            to the mean sentence embedding (supervised, pretrained). Score a
            corpus in one call: the seeded scorer (and so the default) learns
            from all the sentences it is given.
        scorer: ``"indomain"`` (per sentence, the frame heads trained on AI-news sentences coded for the
            study's codebook, :mod:`analysis.framing.domain`; a frame with too few coded examples keeps the
            ``"combined"`` score and is listed in ``result.attrs["label_free_fallback"]``; pooled by the best
            sentence; only for the study codebook), ``"dictionary"`` (cue words), ``"zero_shot"`` (similarity to
            definitions and exemplars, relative to the average frame of the same
            family in the codebook, so scores depend on which frames it holds),
            ``"seeded"`` (per frame, a logistic regression on the embeddings of
            the given sentences, trained to separate those with a cue word from
            those without; a frame with fewer than ``SEED_MIN_SENTENCES`` cue or
            no-cue sentences keeps its dictionary score and is listed in
            ``result.attrs["dictionary_fallback"]``), ``"combined"`` (the mean of
            seeded and zero-shot), ``"supervised"`` (your fitted ``classifier``),
            ``"pretrained"`` (the shipped head for the five generic frames,
            trained on climate articles), or ``"default"`` = ``"combined"``: the
            best-validated choice that needs no labelled data (on the public
            benchmarks of ``bench/framing.py`` above the dictionary on FrAC
            sentences, GVFC headlines and Narrative Frames articles, the last
            with its article pooling chosen on held-out folds; zero-shot alone is
            below the dictionary on two of the three).
        codebook: Codebook path, table or records; ``None`` = the study codebook.
        classifier: Fitted :class:`FrameClassifier` for ``scorer="supervised"``.
        top_k: Sentences pooled per text (the same k for every text; it takes
            precedence over ``top_share``). The supervised and pretrained
            scorers embed whole texts and ignore ``top_k`` and ``top_share``.
        top_share: Used when ``top_k`` is None: ``k = max(1, ceil(top_share * n))``
            for a text of ``n`` sentences. ``None`` = the scorer's validated
            pooling: ``COMBINED_TOP_SHARE`` (0.15) for the default/combined
            scorer, so texts of up to 6 sentences are scored by their best
            sentence and a 25-sentence article by the mean of its best 4; the
            best sentence (``top_share=0``) for the dictionary, zero-shot and
            seeded scorers, as a coder marks a frame present when any sentence
            carries it.
        model, cache_dir: Embedding model and cache (see :func:`analysis.embeddings.embed_texts`).

    Returns:
        DataFrame with one row per text (index 0..n-1) and one float column per
        frame id (codebook order; classifier order for supervised/pretrained),
        rounded to 6 decimals so that the scores do not depend on the CPU.

    Raises:
        ValueError: Unknown scorer, a non-string text, ``supervised`` without a
            classifier, a ``top_k`` that is not a whole number >= 1, or a
            ``top_share`` outside [0, 1].
    """
    if scorer not in SCORERS:
        raise ValueError(f"Unknown scorer {scorer!r}; choose one of {SCORERS}.")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise ValueError(f"top_k must be a whole number of at least 1 (or None for the scorer's pooling), "
                         f"got {top_k!r}.")
    if top_share is not None and (isinstance(top_share, bool) or not isinstance(top_share, numbers.Real)
                                  or not 0.0 <= top_share <= 1.0):
        raise ValueError(f"top_share must be a number in [0, 1] (or None for the scorer's pooling), "
                         f"got {top_share!r}.")
    texts = _check_texts(texts)
    if scorer in ("supervised", "pretrained"):
        clf = classifier if scorer == "supervised" else load_pretrained_classifier()
        if clf is None:
            raise ValueError("scorer='supervised' needs classifier=FrameClassifier().fit(embeddings, labels) "
                             "or train_frame_classifier(texts, labels).")
        proba = clf.predict_proba(embed_documents(texts, model=model, cache_dir=cache_dir)) if texts else \
            np.zeros((0, len(clf.frames_)))
        return pd.DataFrame(round_scores(proba), columns=clf.frames_)
    book = _resolve_codebook(codebook)
    pieces = [split_sentences(t) for t in texts]
    flat = [s for p in pieces for s in p]
    fallback: list[str] = []
    if scorer == "indomain":
        from analysis.framing.domain import indomain_sentence_scores

        sent, fallback = indomain_sentence_scores(flat, book, model=model, cache_dir=cache_dir)
    elif scorer == "dictionary":
        sent = _dictionary_sentence_scores(flat, book)
    elif scorer == "zero_shot":
        sent = _zero_shot_sentence_scores(flat, book, model=model, cache_dir=cache_dir) if flat else \
            np.zeros((0, len(book)))
    else:
        sent, fallback = _seeded_sentence_scores(flat, book, model=model, cache_dir=cache_dir)
        if scorer in ("default", "combined") and flat:
            sent = (sent + _zero_shot_sentence_scores(flat, book, model=model, cache_dir=cache_dir)) / 2.0
    share = top_share if top_share is not None else COMBINED_TOP_SHARE if scorer in ("default", "combined") else 0.0
    # Rounded before the best sentences are chosen, and again after pooling: the same on any CPU.
    pooled = _pool(round_scores(sent), [len(p) for p in pieces], top_k, share)
    out = pd.DataFrame(round_scores(pooled), columns=list(book["id"]))
    if scorer in ("seeded", "default", "combined"):
        out.attrs["dictionary_fallback"] = fallback
    if scorer == "indomain":
        out.attrs["label_free_fallback"] = fallback
    return out


def predict_frames(texts, *, scorer: str = "default", threshold: float | dict = 0.5,
                   **kwargs) -> pd.DataFrame:
    """Frame presence per text: :func:`score_frames` at or above ``threshold``.

    Args:
        texts: As in :func:`score_frames`.
        scorer: As in :func:`score_frames`.
        threshold: One cut-off for all frames or ``{frame_id: cut-off}``. The
            scorers are scaled so that 0.5 is the validated default.
        **kwargs: Passed to :func:`score_frames`.

    Returns:
        Boolean DataFrame with the same shape and columns as :func:`score_frames`.
    """
    scores = score_frames(texts, scorer=scorer, **kwargs)
    if isinstance(threshold, dict):
        unknown = sorted(set(threshold) - set(scores.columns))
        if unknown:
            raise ValueError(f"threshold names unknown frame ids {unknown}; known: {list(scores.columns)}.")
        cut = pd.Series({c: threshold.get(c, 0.5) for c in scores.columns})
        return scores.ge(cut, axis=1)
    return scores >= threshold


# ---------------------------------------------------------------- reporting helpers
def summarize_codebook(codebook=None) -> pd.DataFrame:
    """The codebook in brief.

    Returns:
        DataFrame ``id``, ``family``, ``label``, ``definition``, ``n_cues``,
        ``n_exemplars``, ``example`` (the first exemplar sentence).
    """
    book = _resolve_codebook(codebook)
    return pd.DataFrame({"id": book["id"], "family": book["family"], "label": book["label"],
                         "definition": book["definition"], "n_cues": book["cues"].map(len),
                         "n_exemplars": book["exemplars"].map(len),
                         "example": book["exemplars"].map(lambda e: e[0])})


def load_validation(path: str | Path | None = None) -> pd.DataFrame:
    """The stored validation results written by ``bench/framing.py``.

    Returns:
        DataFrame ``dataset``, ``scorer``, ``setting``, ``n_units``, ``macro_f1``,
        ``accuracy`` (single-label data sets), ``published_macro_f1``,
        ``published_source``, ``main_setting`` (True for the row a scorer gives
        without options on that data set), ``run_date``, ``model``.

    Raises:
        FileNotFoundError: The file is missing (run ``.venv/bin/python bench/framing.py``).
    """
    path = Path(path) if path is not None else FRAMES_DIR / "validation.csv"
    if not path.is_file():
        raise FileNotFoundError(f"No validation results at {path}; run `.venv/bin/python bench/framing.py` "
                                "(needs the shared datasets).")
    return pd.read_csv(path)


def train_frame_classifier(texts, labels: pd.DataFrame, *, folds=None, n_splits: int = 5,
                           random_state: int = 0, model="all-MiniLM-L6-v2", cache_dir="default",
                           **params) -> tuple[FrameClassifier, pd.DataFrame]:
    """Train the supervised scorer on any coded sample and report its cross-validated quality.

    Args:
        texts: The coded texts (sentences, passages or articles).
        labels: Boolean DataFrame, one row per text and one column per frame id
            (e.g. the coders' majority from :func:`analysis.framing.validation.consensus_codes`, pivoted).
        folds, n_splits, random_state, **params: As in :func:`cross_validate_frames`.
        model, cache_dir: Embedding model and cache.

    Returns:
        ``(classifier, metrics)``: a :class:`FrameClassifier` fitted on all texts
        (pass it as ``score_frames(..., scorer="supervised", classifier=...)``)
        and the cross-validated per-frame metrics (last row ``macro``).

    Raises:
        ValueError: ``labels`` does not have one row per text, or a frame has
            fewer positives than folds (cross-validation would be meaningless).
    """
    texts = _check_texts(texts)
    if len(labels) != len(texts):
        raise ValueError(f"train_frame_classifier: {len(labels)} label rows for {len(texts)} texts.")
    k = len(np.unique(folds)) if folds is not None else n_splits
    thin = [c for c in labels.columns if labels[c].astype(bool).sum() < k]
    if thin:
        raise ValueError(f"Frames {thin} have fewer than {k} positive examples; code more texts or "
                         "drop them.")
    X = embed_documents(texts, model=model, cache_dir=cache_dir)
    Y = labels.reset_index(drop=True).astype(bool)
    metrics, _ = cross_validate_frames(X, Y, folds=folds, n_splits=n_splits, random_state=random_state,
                                       **params)
    return FrameClassifier(random_state=random_state, **params).fit(X, Y), metrics
