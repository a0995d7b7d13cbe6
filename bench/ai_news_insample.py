"""How much the real-corpus study leans on in-sample scores, and what the coders say about the same mentions.

The in-domain heads were fitted on coded sentences, most of them drawn from the very articles that
``reports/ai_news`` analyses (``python -m analysis ai-news``). On those mentions the study's scores are in sample.
This script joins the study's sentiment stage to the coders' majority codes (same sentence, same country) and
prints, and writes to ``reports/ai_news/tables/validity_in_sample.csv`` (aggregates only, no text):

- the in-sample macro-F1 of the study's labels against the codes, beside the cross-validated (site-grouped)
  figure of ``analysis/resources/validity/indomain.csv``: the gap is how much better in-sample scores fit;
- per country, the mean score of the instrument and the mean of the coders' codes (-1, 0, 1) on the same
  mentions: whether the instrument's country ordering is the coders' ordering.

Needs ``../shared/datasets/ai_news_portrayal_dev``, the collected pages of round r2 (``data/external``) and a
finished ``make ai-news``; skips with a message otherwise.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from analysis import paths, validity
from analysis.paths import DatasetMissingError

COUNTRIES = ["CHN", "JPN", "MYS"]
CODE_VALUE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def main() -> int:
    from sklearn.metrics import f1_score

    from analysis import corpus
    from analysis.annotation.gold import load_gold
    from analysis.framing.measure import load_codebook
    from analysis.study import pipeline
    from analysis.study.ai_news import AI_NEWS_CORPUS, AI_NEWS_REPORT

    try:
        gold = load_gold(load_codebook()["id"].tolist())
        tables = corpus.load_prepared(AI_NEWS_CORPUS)
        stages = pipeline.read_study_stages(tables, countries=COUNTRIES, codebook=None, random_state=42)
    except (DatasetMissingError, FileNotFoundError, pipeline.StageError) as exc:
        print(f"bench/ai_news_insample.py: skipped ({exc}); run `make ai-news` with ../shared present first.",
              file=sys.stderr)
        return 0
    if gold.attrs["missing_documents"]:
        print(f"bench/ai_news_insample.py: {gold.attrs['missing_documents']} coded items without their page "
              f"(collected pages not in {paths.COLLECTED_DIR}); skipped.", file=sys.stderr)
        return 0
    scored = stages["sentiment"]["scored"]
    scored = scored[scored["reference"] == "direct"].assign(key=lambda t: t["sentence"].map(validity.sentence_key))
    codes = gold.assign(key=gold["sentence"].map(validity.sentence_key))[["key", "country", "sentiment"]]
    joined = scored.merge(codes.dropna(subset=["sentiment"]), on=["key", "country"], how="inner")
    cv = validity.load_indomain_validation().set_index(["instrument", "split"])
    rows = [{"measure": "macro_f1_in_sample", "country": "all", "n": len(joined),
             "value": f1_score(joined["sentiment"], joined["label"], average="macro")},
            {"measure": "macro_f1_cv_site", "country": "all",
             "n": int(cv.loc[("sentiment:indomain", "cv_site:direct:all"), "n"]),
             "value": float(cv.loc[("sentiment:indomain", "cv_site:direct:all"), "ours"])}]
    for country, part in joined.groupby("country"):
        rows.append({"measure": "mean_score_instrument", "country": country, "n": len(part),
                     "value": part["score"].mean()})
        rows.append({"measure": "mean_code_coders", "country": country, "n": len(part),
                     "value": part["sentiment"].map(CODE_VALUE).mean()})
    table = pd.DataFrame(rows)
    table["value"] = table["value"].round(3)
    out = AI_NEWS_REPORT / "tables" / "validity_in_sample.csv"
    table.to_csv(out, index=False, lineterminator="\n")
    print(json.dumps({"direct_mentions": len(scored), "matched_to_codes": len(joined), "written": str(out)}))
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
