"""Exact and near-duplicate documents (syndicated wire copy, re-posted articles).

Exact duplicates share the same text after lower-casing and collapsing
whitespace. Near duplicates are found with MinHash LSH (datasketch) over word
``shingle_size``-grams to propose candidates; the decision uses the *true*
Jaccard similarity of the two shingle sets, so the result does not depend on
MinHash noise beyond candidate recall. The first document (input order) of each
group is kept; every later copy is reported with the id it duplicates.
"""

from __future__ import annotations

import hashlib
import re
import zlib

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # datasketch is imported where it is used: loading a prepared corpus never needs it (1.2 s)
    from datasketch import MinHash

__all__ = ["find_duplicates", "DUPLICATE_COLUMNS"]

DUPLICATE_COLUMNS = ["doc_id", "duplicate_of", "kind", "similarity"]
_WORD = re.compile(r"\w+")


def _shingles(text: str, size: int) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def _crc32(data: bytes) -> int:
    # Deterministic across processes (unlike hash()) and much faster than sha1.
    return zlib.crc32(data)


_CHUNK = 20_000  # shingles hashed per batch: 128 x 20,000 x 8 bytes = 20 MB at a time


def _minhash(shingles: set[str], template: MinHash) -> MinHash:
    from datasketch import MinHash

    m = MinHash(num_perm=len(template), seed=template.seed, hashfunc=_crc32,
                permutations=template.permutations, scheme=template.scheme)
    # In chunks: update_batch hashes a whole batch into a (num_perm x n) array at once, 8 GB for the
    # 8 M shingles of one 50 MB document; MinHash is a running minimum, so chunks give the same result.
    batch: list[bytes] = []
    for shingle in shingles:
        batch.append(shingle.encode("utf-8"))
        if len(batch) == _CHUNK:
            m.update_batch(batch)
            batch = []
    if batch:
        m.update_batch(batch)
    return m


def find_duplicates(articles: pd.DataFrame, *, threshold: float = 0.8, shingle_size: int = 5,
                    num_perm: int = 128, random_state: int = 1) -> pd.DataFrame:
    """Find exact and near-duplicate documents.

    Args:
        articles: Table with columns ``doc_id`` and ``text``; row order decides
            which copy is kept (the first).
        threshold: Minimum Jaccard similarity of word shingles for a near duplicate
            (0 < threshold <= 1).
        shingle_size: Words per shingle.
        num_perm: MinHash permutations.
        random_state: MinHash seed.

    Returns:
        One row per duplicate document: doc_id, duplicate_of (the kept doc's id),
        kind ("exact" or "near"), similarity (Jaccard of shingles; 1.0 for exact).

    Raises:
        ValueError: ``threshold`` outside (0, 1].
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    rows, first_by_key, kept = [], {}, []
    for doc_id, text in zip(articles["doc_id"], articles["text"]):
        key = hashlib.sha1(" ".join(str(text).lower().split()).encode("utf-8")).hexdigest()
        if key in first_by_key:
            rows.append((doc_id, first_by_key[key], "exact", 1.0))
        else:
            first_by_key[key] = doc_id
            kept.append((doc_id, str(text)))
    from datasketch import MinHash, MinHashLSH

    # A lower LSH threshold than the decision threshold buys candidate recall;
    # the decision itself uses the exact Jaccard similarity.
    lsh = MinHashLSH(threshold=min(0.9, max(0.05, threshold - 0.2)), num_perm=num_perm)
    shingle_sets = {}
    template = MinHash(num_perm=num_perm, seed=random_state)  # permutations computed once
    for doc_id, text in kept:
        shingles = _shingles(text, shingle_size)
        if not shingles:
            continue
        m = _minhash(shingles, template)
        best = _best_match(shingles, lsh.query(m), shingle_sets)
        if best is not None and best[1] >= threshold:
            rows.append((doc_id, best[0], "near", round(best[1], 4)))
            continue
        shingle_sets[doc_id] = (len(shingle_sets), shingles)
        lsh.insert(doc_id, m)
    result = pd.DataFrame(rows, columns=DUPLICATE_COLUMNS)
    result["similarity"] = result["similarity"].astype(np.float64)
    return result


def _best_match(shingles: set, candidates, shingle_sets: dict):
    best = None
    for candidate in sorted(candidates, key=lambda c: shingle_sets[c][0]):
        other = shingle_sets[candidate][1]
        similarity = len(shingles & other) / len(shingles | other)
        if best is None or similarity > best[1]:
            best = (candidate, similarity)
    return best
