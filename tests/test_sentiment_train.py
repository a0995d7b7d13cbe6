"""Tests for the training helpers of analysis.sentiment.train that need no shared data."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.sentiment.train import pair_augment

ROWS = [
    ("China praised the deal.", 0, 5, "China", "positive", "s1"),
    ("Japan was blamed for the delay.", 0, 5, "Japan", "negative", "s2"),
    ("Officials in Malaysia met on Monday.", 13, 21, "Malaysia", "neutral", "s3"),
    ("Critics attacked Korea over the plan.", 17, 22, "Korea", "negative", "s4"),
    ("India welcomed the new investment.", 0, 5, "India", "positive", "s5"),
]
DF = pd.DataFrame(ROWS, columns=["sentence", "start", "end", "mention", "label", "sentence_id"])


@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
def test_pair_augment_keeps_target_label_and_span(share):
    out = pair_augment(DF, share, random_state=3)
    assert len(out) == len(DF) + round(share * len(DF))
    pd.testing.assert_frame_equal(out.iloc[:len(DF)], DF)
    by_id = DF.set_index("sentence_id")
    for row in out.iloc[len(DF):].itertuples():
        assert row.sentence[row.start:row.end] == row.mention           # span moved with the sentence
        original = by_id.loc[row.sentence_id.removesuffix("+pair")]
        assert original.sentence in row.sentence and row.label == original.label
        partner = row.sentence.replace(original.sentence, "").strip()
        assert by_id.loc[by_id.sentence == partner, "label"].item() != row.label   # opposite tone beside it


def test_pair_augment_is_reproducible_and_seed_dependent():
    a, b = pair_augment(DF, 1.0, random_state=1), pair_augment(DF, 1.0, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert any(not pair_augment(DF, 1.0, random_state=s).equals(a) for s in range(2, 6))


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_pair_augment_rejects_a_share_outside_0_1(share):
    with pytest.raises(ValueError, match="between 0 and 1"):
        pair_augment(DF, share, random_state=0)


def test_pair_augment_names_the_row_it_cannot_pair():
    one_label = DF[DF["label"] == "negative"].reset_index(drop=True)
    with pytest.raises(ValueError, match=r"Training row \d .*no sentence with another polarity"):
        pair_augment(one_label, 1.0, random_state=0)
