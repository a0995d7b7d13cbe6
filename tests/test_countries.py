"""Tests for analysis.countries: gazetteer validation, matching on news text, salience."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import countries


def found(text, **kw):
    m = countries.detect_mentions([text], **kw)
    return [(r.country, text[r.start:r.end]) for r in m.itertuples()]


def test_first_smoke():
    assert found("The South China Morning Post says China's DeepSeek leads.") == [("CHN", "China"), ("CHN", "DeepSeek")]
