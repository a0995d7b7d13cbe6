"""Figures are published with the CSV they were drawn from, reproducibly."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.study.report import publish_figure, publish_table  # noqa: E402


def _figure():
    fig, ax = plt.subplots()
    ax.bar(["CHN", "JPN"], [0.4, 0.2])
    return fig


def test_figure_is_saved_as_png_svg_and_csv_identically_twice(tmp_path):
    data = pd.DataFrame({"country": ["CHN", "JPN"], "share": [0.4, 0.2]})
    paths = publish_figure(_figure(), data, "attention", out_dir=tmp_path)
    first = {k: p.read_bytes() for k, p in paths.items()}
    assert pd.read_csv(paths["csv"]).equals(data)
    assert first["png"].startswith(b"\x89PNG") and b"<svg" in first["svg"]
    paths = publish_figure(_figure(), data, "attention", out_dir=tmp_path)
    assert {k: p.read_bytes() for k, p in paths.items()} == first


@pytest.mark.parametrize("name", ["../escape", "With Space", "", "a/b"])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="must be lower-case"):
        publish_table(pd.DataFrame({"a": [1]}), name, out_dir=tmp_path)
