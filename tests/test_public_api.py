"""Every name in ``analysis.__all__`` resolves, and every public function documents itself."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import analysis


@pytest.mark.parametrize("name", [n for n in analysis.__all__ if n != "__version__"])
def test_public_name_resolves_and_has_a_docstring(name):
    obj = getattr(analysis, name)
    doc = inspect.getdoc(obj) or ""
    assert len(doc.split()) >= 5, f"analysis.{name} needs a docstring"


def test_functions_returning_tables_name_their_columns():
    table_functions = ["prepare_corpus", "detect_mentions", "attention_shares", "predict_target_sentiment",
                       "score_frames", "topic_shares_by_country", "frame_shares_by_country", "score_mentions"]
    for name in table_functions:
        doc = inspect.getdoc(getattr(analysis, name))
        assert "Returns" in doc, name


def test_import_is_light():
    code = "import sys, analysis; print('torch' in sys.modules, 'bertopic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError):
        analysis.no_such_helper  # noqa: B018
