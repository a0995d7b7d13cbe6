"""The study's numbers do not depend on the CPU: quantisation, rounding, and real models under two kernel settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.numerics import (
    EMBEDDING_GRID_BITS, SCORE_DECIMALS, ZERO_FLOOR, quantize_embeddings, round_scores, round_significant, round_table,
)

GRID = 2.0 ** -EMBEDDING_GRID_BITS


@given(st.lists(st.floats(min_value=-1.0, max_value=1.0, allow_nan=False), min_size=1, max_size=50))
def test_quantised_values_are_grid_points_within_half_a_step_and_exact_in_float32(values):
    q = quantize_embeddings([values])
    assert q.dtype == np.float32
    as64 = q.astype(np.float64)
    np.testing.assert_array_equal(as64 * 2 ** EMBEDDING_GRID_BITS, np.rint(as64 * 2 ** EMBEDDING_GRID_BITS))
    assert np.abs(as64 - np.asarray([values])).max() <= GRID / 2


@given(st.floats(min_value=-1.0, max_value=1.0, allow_nan=False), st.floats(min_value=-1e-13, max_value=1e-13))
def test_a_float64_sized_error_moves_a_value_only_when_it_sits_on_a_grid_boundary(value, error):
    """The margin argument of analysis.numerics: a 1e-13 error changes the grid point only within 1e-13 of a midpoint."""
    moved = quantize_embeddings([[value]])[0, 0] != quantize_embeddings([[value + error]])[0, 0]
    distance_to_midpoint = abs((value / GRID) % 1.0 - 0.5) * GRID
    if moved:
        assert distance_to_midpoint <= abs(error) + 1e-15


def test_float32_sized_errors_do_move_values_across_the_grid():
    # Why the encoder runs in float64: float32-sized kernel differences (1e-7) straddle grid lines often.
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.05, size=(200, 384))
    noisy = x + rng.uniform(-1e-7, 1e-7, size=x.shape)
    assert (quantize_embeddings(x) != quantize_embeddings(noisy)).sum() > 100
    tiny = x + rng.uniform(-1e-15, 1e-15, size=x.shape)
    assert (quantize_embeddings(x) != quantize_embeddings(tiny)).sum() == 0


@pytest.mark.parametrize("bad", [[[np.nan, 0.0]], [[0.0, np.inf]]])
def test_non_finite_vectors_are_refused(bad):
    with pytest.raises(ValueError, match="NaN or infinite"):
        quantize_embeddings(bad)


@pytest.mark.parametrize("value, expected", [
    (0.12345649, 0.123456), (0.1234565001, 0.123457), (-0.0000001, 0.0), (-0.0, 0.0), (1.0, 1.0),
    (np.float32(0.5), 0.5),
])
def test_round_scores_keeps_six_decimals_and_no_negative_zero(value, expected):
    got = round_scores(value)
    assert got == expected and isinstance(got, float)
    assert str(got) != "-0.0"


def test_round_scores_keeps_the_container_and_nan():
    frame = pd.DataFrame({"a": [0.1234567, np.nan], "b": [-1e-9, 2.0]})
    out = round_scores(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b"]
    assert out.loc[0, "a"] == 0.123457 and np.isnan(out.loc[1, "a"])
    assert np.signbit(out["b"].to_numpy()).sum() == 0
    arr = round_scores(np.array([[1 / 3, 2 / 3]], dtype=np.float32))
    assert arr.dtype == np.float64 and arr.tolist() == [[0.333333, 0.666667]]
    assert SCORE_DECIMALS == 6


@pytest.mark.parametrize("a, b", [
    (0.1458874458874459, 0.14588744588744587),   # one bootstrap bound on two CPUs (seen in the study)
    (2.775557561562891e-17, -5.551115123125783e-17),  # a zero difference computed along two paths
    (1 / 3, 1 / 3 + 2e-16), (-7.25e6, -7.25e6 * (1 + 3e-16)),
])
def test_last_bit_differences_round_to_the_same_statistic(a, b):
    assert round_significant(a) == round_significant(b)


@pytest.mark.parametrize("value, expected", [
    (0.14588744588744587, 0.1458874459), (123456.78901234, 123456.789), (-2.5e-17, 0.0),
    (3e-12, 3e-12), (float("nan"), "nan"), (float("inf"), float("inf")),
])
def test_round_significant_keeps_ten_digits_and_zeroes_numerical_noise(value, expected):
    got = round_significant(value)
    assert (np.isnan(got) if expected == "nan" else got == expected)


def test_p_values_keep_tiny_magnitudes_and_tables_round_only_float_columns():
    assert round_significant(3.2e-20, floor=0.0) == 3.2e-20 and round_significant(3.2e-20) == 0.0
    table = pd.DataFrame({"label": ["a", "b"], "n": [3, 4], "estimate": [1e-17, 0.123456789012345],
                          "p_value": [1e-15, 0.5]})
    out = round_table(table)
    assert out["n"].tolist() == [3, 4] and out["label"].tolist() == ["a", "b"]
    assert out["estimate"].tolist() == [0.0, 0.123456789] and out["p_value"].tolist() == [1e-15, 0.5]
    assert ZERO_FLOOR == 1e-12
    np.testing.assert_array_equal(round_significant(np.array([[1 / 7, -1e-13]])), [[0.1428571429, 0.0]])


# ------------------------------------------------------------------ real models under two CPU kernel settings
_PROBE = r"""
import json, sys
import numpy as np
import torch
torch.set_num_threads(int(sys.argv[2]))
from analysis.embeddings import embed_texts
from analysis.sentiment.measure import predict_target_sentiment
texts = ["China's DeepSeek model rattled markets.", "Japan and Malaysia signed a data-centre deal.",
         "Officials in Kuala Lumpur said the plan would bring jobs.", "A short one.",
         "Beijing criticised the new export controls on advanced chips, calling them unfair."]
vecs = embed_texts(texts, cache_dir=None)
sent = predict_target_sentiment(texts[:3], [(0, 5), (0, 5), (13, 25)], batch_size=int(sys.argv[3]))
json.dump({"vectors": vecs.astype(float).tolist(), "sentiment": sent.drop(columns="scorer").values.tolist(),
           "capability": torch.backends.cpu.get_cpu_capability()}, open(sys.argv[1], "w"))
"""


def _probe(tmp_path, capability: str, threads: int, batch: int) -> dict:
    out = tmp_path / f"{capability}-{threads}-{batch}.json"
    env = {**os.environ, "ATEN_CPU_CAPABILITY": capability, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    subprocess.run([sys.executable, "-c", _PROBE, str(out), str(threads), str(batch)], env=env, check=True,
                   capture_output=True, text=True)
    return json.loads(out.read_text())


def test_encoder_and_sentiment_give_identical_numbers_under_two_kernel_settings(tmp_path):
    """Plain loops with one thread against vectorised kernels with two: every bit of the output the same."""
    plain = _probe(tmp_path, "default", 1, 1)
    if "avx2" not in open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else True:
        pytest.skip("This CPU has no AVX2: only the plain kernels can run here (make test still checks them).")
    vector = _probe(tmp_path, "avx2", 2, 64)
    assert plain["capability"] == "DEFAULT" and vector["capability"] == "AVX2"
    assert plain["vectors"] == vector["vectors"]
    assert plain["sentiment"] == vector["sentiment"]
    grid = np.asarray(plain["vectors"]) * 2 ** EMBEDDING_GRID_BITS
    np.testing.assert_array_equal(grid, np.rint(grid))


# ------------------------------------------------------------------ ties and the BERTopic sort proxy
def test_stable_numpy_orders_ties_by_position_for_every_size():
    from analysis.topics.measure import _StableNumpy

    proxy = _StableNumpy()
    for n in (5, 10, 100, 1000):
        values = np.random.default_rng(n).integers(0, 3, n).astype(float)
        expected = np.lexsort((np.arange(n), values))  # by value, then by position
        np.testing.assert_array_equal(proxy.argsort(values), expected)
        top = proxy.argpartition(values, -3)[-3:]
        np.testing.assert_array_equal(top, expected[-3:])
    assert proxy.mean is np.mean  # everything else is numpy itself


def test_bertopic_globals_are_restored_even_when_the_fit_fails():
    import bertopic._bertopic as core
    import bertopic.representation._keybert as keybert

    from analysis.topics.measure import _stable_bertopic_sorts

    with pytest.raises(RuntimeError):
        with _stable_bertopic_sorts():
            assert core.np is not np and core.pd.DataFrame is not pd.DataFrame
            raise RuntimeError("fit failed")
    assert core.np is np and core.pd is pd and keybert.np is np


def test_bertopic_numbers_tied_topics_by_first_appearance():
    from analysis.topics.measure import _StablePandas

    sizes = _StablePandas().DataFrame({"Old_Topic": [3, 1, 2, 0], "Size": [5, 7, 5, 5]})
    assert sizes.sort_values("Size", ascending=False)["Old_Topic"].tolist() == [1, 3, 2, 0]


@pytest.mark.parametrize("setting", ["portable", "native"])
def test_cpu_settings_are_plain_env_assignments(setting):
    """make test passes these words to `env`: a word without '=' would be run as the command."""
    from analysis.paths import PROJECT_ROOT

    out = subprocess.run(["sh", str(PROJECT_ROOT / "tests" / "cpu_env.sh"), setting], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out and all(re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S+", word) for word in out), out
    if setting == "portable":
        assert "ATEN_CPU_CAPABILITY=default" in out and "OMP_NUM_THREADS=1" in out


def test_cpu_settings_refuse_an_unknown_name():
    from analysis.paths import PROJECT_ROOT

    done = subprocess.run(["sh", str(PROJECT_ROOT / "tests" / "cpu_env.sh"), "fast"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr


# ------------------------------------------------------------------ the array path of round_significant
def _one_by_one(values, digits, floor):
    return np.array([round_significant(float(v), digits, floor=floor) for v in values], dtype=np.float64)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=50),
       digits=st.integers(1, 15), floor=st.sampled_from([0.0, ZERO_FLOOR, 1e-3]))
def test_arrays_round_to_exactly_the_floats_of_scalar_calls(values, digits, floor):
    got = round_significant(np.array(values), digits, floor=floor)
    np.testing.assert_array_equal(got, _one_by_one(values, digits, floor))
    assert not np.signbit(got[got == 0]).any()  # -0.0 never comes back


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5, 10, 12])
def test_decimal_ties_and_powers_of_ten_match_the_scalar_path(digits):
    # Exact binary ties (0.5, 2.5, 0.125...), values a hair either side of them, decimal halves that
    # are not exact in binary, powers of ten (where log10 can be off by one) and their neighbours.
    base = [0.5, 1.5, 2.5, 0.125, 0.375, 1.0625, 1234.5, 0.15, 0.25, 2.675, 1.005, 9.5, 99.95, 0.9999999999,
            9.9999999995, 123456789.5, 1e-300, 5e-324, 1.7976931348623157e308]
    powers = [10.0 ** e for e in range(-30, 31)]
    values = np.array(base + powers)
    with np.errstate(over="ignore"):
        values = np.concatenate([values, np.nextafter(values, np.inf), np.nextafter(values, -np.inf), -values])
    np.testing.assert_array_equal(round_significant(values, digits), _one_by_one(values, digits, ZERO_FLOOR))


def test_series_keep_their_index_and_name_and_dense_random_arrays_match():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=20_000) * 10.0 ** rng.integers(-15, 15, 20_000),
                        np.round(rng.uniform(-10, 10, 20_000), 11)])  # many values ending in ...5 at digit 11
    np.testing.assert_array_equal(round_significant(x), _one_by_one(x, 10, ZERO_FLOOR))
    series = pd.Series(x[:5], index=list("abcde"), name="estimate")
    out = round_significant(series)
    assert out.index.tolist() == list("abcde") and out.name == "estimate" and out.dtype == np.float64
    np.testing.assert_array_equal(out.to_numpy(), _one_by_one(x[:5], 10, ZERO_FLOOR))


@pytest.mark.parametrize("floor", [float("nan"), -1e-12])
def test_a_floor_that_is_not_a_magnitude_is_refused(floor):
    for values in (0.5, np.array([0.5]), pd.Series([0.5])):
        with pytest.raises(ValueError, match="floor"):
            round_significant(values, 3, floor=floor)
