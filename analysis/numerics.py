"""Machine-independent numbers: the precision every instrument hands on, and why.

A float computed on one CPU is not the float computed on another. Kernels differ
(PyTorch's ATen picks AVX2, AVX-512 or plain loops at start-up; OpenBLAS and MKL pick
a kernel per CPU; NumPy dispatches SIMD loops), and so does the order of a
reduction. In float32 the sentence encoder's vectors then differ in the 7th-8th
significant digit (measured: up to 1.3e-7 between ``ATEN_CPU_CAPABILITY=default``
and ``avx2`` on one machine), and downstream near-ties (a k-NN graph, a keyword's
rank, a logistic regression's last iteration) turn that into other topic words.

Rounding float32 output does not fix this: a grid of 2**-16 still split 45 of
102 x 384 components across the two kernel settings, because a difference of 1e-7
straddles a grid line often enough. What does fix it is a *margin*: models run in
float64, whose kernel-to-kernel differences are about 1e-16, and their outputs are
then quantised to a grid (2**-20 for vectors, 1e-6 for scores) that is ten orders
of magnitude coarser. A value lands on another grid point only when it lies within
~1e-16 of a grid boundary: about 1e-10 per number, so in practice never. After the
quantisation everything downstream that the study reports runs in float64 and is
rounded again to :data:`SCORE_DECIMALS` at the instrument's output, and sorts break
ties by value and then by a stable key.

The precision is deliberately far below anything a reader could see or a test of
validity could detect: 2**-20 is about 1e-6 on components of about 0.05, and a
score of 0.734512 is reported as such, not 0.73451234.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EMBEDDING_GRID_BITS", "SCORE_DECIMALS", "SIGNIFICANT_DIGITS", "ZERO_FLOOR", "quantize_embeddings", "round_scores",
           "round_significant", "round_table"]

#: Sentence vectors are rounded to multiples of ``2 ** -EMBEDDING_GRID_BITS`` (exact in float32
#: for components of unit vectors, so the cache stores them losslessly).
EMBEDDING_GRID_BITS = 20
#: Model scores and probabilities are rounded to this many decimals before any downstream use.
SCORE_DECIMALS = 6
#: Statistics computed from those scores (means, intervals, effects, p-values) keep this many
#: significant digits: a sum's order (SIMD width, BLAS kernel) changes its last bit, not its 10th digit.
SIGNIFICANT_DIGITS = 10
#: Below this magnitude a statistic is a numerical zero: ``0.5 - 0.5`` computed along another path is
#: ``2.8e-17`` on one CPU and ``-5.6e-17`` on another, which no number of significant digits unifies.
ZERO_FLOOR = 1e-12


def quantize_embeddings(vectors) -> np.ndarray:
    """Round vectors (ideally computed in float64) to the embedding grid; float32 output.

    Args:
        vectors: Array-like ``(n, dim)`` of finite floats with ``|x| < 2**3``.

    Returns:
        float32 array of the same shape whose entries are exact multiples of
        ``2 ** -EMBEDDING_GRID_BITS`` (representable exactly in float32).

    Raises:
        ValueError: A value is not finite (a model produced NaN or inf).

    Example:
        >>> quantize_embeddings([[0.1, -0.5]]).tolist()
        [[0.10000038146972656, -0.5]]
    """
    x = np.asarray(vectors, dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError("quantize_embeddings: the model produced NaN or infinite values; check the input texts "
                         "and the model files.")
    scale = float(2 ** EMBEDDING_GRID_BITS)
    return (np.rint(x * scale) / scale).astype(np.float32)


def round_scores(values, decimals: int = SCORE_DECIMALS):
    """Round model scores to the study's reporting precision (float64, -0.0 becomes 0.0).

    Args:
        values: A float, an array, a Series or a DataFrame of floats.
        decimals: Decimals to keep (default :data:`SCORE_DECIMALS`).

    Returns:
        The same kind of object, rounded; NaN stays NaN.

    Example:
        >>> round_scores(0.12345678)
        0.123457
    """
    if np.isscalar(values):
        return float(np.round(float(values), decimals)) + 0.0
    rounded = np.round(values.astype(np.float64) if hasattr(values, "astype") else np.asarray(values, np.float64),
                       decimals)
    return rounded + 0.0


def _significant(x: float, digits: int, floor: float) -> float:
    # Python's float formatting is correctly rounded, so this is the same on every CPU (a
    # log10-based scale could land on the other side of a power of ten).
    if not np.isfinite(x):
        return float(x)
    if abs(x) < floor or x == 0.0:
        return 0.0
    return float(f"{x:.{digits - 1}e}") + 0.0


#: Exact powers of ten in float64 (10**22 is the largest one float64 holds exactly).
_POW10 = np.array([float(10 ** i) for i in range(23)])


def _significant_array(x: np.ndarray, digits: int, floor: float) -> np.ndarray:
    """:func:`_significant` of every element, without a Python call per element where that is provably equal.

    Each value ``a = |x|`` is scaled by an exact power of ten, ``t = a / 10**k`` with
    ``10**(digits-1) <= t < 10**digits``, in one correctly rounded operation. Rounding is monotone and every
    half-integer below ``2**52`` is a float, so ``t`` lies on the same side of each half-integer as the exact
    quotient, or on it: rounding ``t`` to the nearest integer ``m`` gives the digits Python's correctly
    rounded formatting gives unless ``t`` is itself a half-integer. ``m * 10**k`` (or ``m / 10**-k``) is
    again one correctly rounded operation on exact operands, which is what parsing the formatted string
    does. When ``log10`` overestimates the scale by one, ``t`` can round up to ``10**(digits-1)`` exactly:
    the exact quotient is then above ``10**digits - 0.5`` at the true scale, which Python's formatting carries
    to the same power of ten. Values whose ``t`` is a half-integer (a tie, or the float nearest one), whose scale ``log10`` put
    out of range, or that need powers beyond ``10**22`` take the Python path, as does everything when
    ``digits > 12``; the result is the same float either way.
    """
    out = np.where(np.isfinite(x), 0.0, x)
    a = np.abs(x)
    todo = np.flatnonzero(np.isfinite(x) & (a >= floor) & (x != 0.0))
    if not todo.size:
        return out
    if digits > 12:
        out[todo] = [_significant(float(v), digits, floor) for v in x[todo]]
        return out + 0.0
    av = a[todo]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.floor(np.log10(av)).astype(np.int64) - (digits - 1)
        fast = np.abs(k) <= 22
        p = _POW10[np.clip(np.abs(k), 0, 22)]
        t = np.where(k >= 0, av / p, av * p)
        m = np.rint(t)
        low, high = _POW10[digits - 1], _POW10[digits]
        fast &= (t >= low) & (t < high - 1.0) & (t - np.floor(t) != 0.5)
        y = np.copysign(np.where(k >= 0, m * p, m / p), x[todo])
    out[todo] = y
    slow = todo[~fast]
    if slow.size:
        out[slow] = [_significant(float(v), digits, floor) for v in x[slow]]
    return out + 0.0


def round_significant(values, digits: int = SIGNIFICANT_DIGITS, *, floor: float = ZERO_FLOOR):
    """Round statistics to ``digits`` significant digits (float64; NaN and inf unchanged).

    Arrays and Series are rounded element-wise to exactly the floats a scalar call would give (see
    ``_significant_array``), in NumPy rather than one Python call per element.

    Args:
        values: A float, an array or a Series.
        digits: Significant digits to keep (default :data:`SIGNIFICANT_DIGITS`).
        floor: Magnitudes below this become exactly 0 (default :data:`ZERO_FLOOR`, for
            estimates, differences and intervals); pass ``floor=0`` for p-values, which
            can be genuinely tiny.

    Returns:
        The same kind of object, rounded.

    Raises:
        ValueError: ``floor`` is negative or NaN.

    Example:
        >>> round_significant(0.14588744588744587)
        0.1458874459
    """
    if not floor >= 0.0:
        raise ValueError(f"round_significant: floor must be a magnitude of at least 0, got {floor!r}.")
    if np.isscalar(values):
        return _significant(float(values), digits, floor)
    if isinstance(values, pd.Series):
        rounded = _significant_array(values.to_numpy(dtype=np.float64), digits, floor)
        return pd.Series(rounded, index=values.index, name=values.name, dtype=np.float64)
    arr = np.asarray(values, dtype=np.float64)
    return _significant_array(arr.ravel(), digits, floor).reshape(arr.shape) if arr.size else arr


def round_table(table: pd.DataFrame, digits: int = SIGNIFICANT_DIGITS, *, p_values: tuple[str, ...] = ("p_value",)
                ) -> pd.DataFrame:
    """A copy of ``table`` with every float column rounded by :func:`round_significant`.

    Columns named in ``p_values`` keep tiny magnitudes (``floor=0``); the others treat
    magnitudes below :data:`ZERO_FLOOR` as zero.
    """
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = round_significant(out[col], digits, floor=0.0 if col in p_values else ZERO_FLOOR)
    return out
