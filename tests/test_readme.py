"""The README's reuse example runs as written, on a small CSV corpus."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

from analysis.paths import PROJECT_ROOT, SEED_CORPUS_DIR  # noqa: E402


def _reuse_example() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reuse the helpers in a new study", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_reuse_example_runs(tmp_path, monkeypatch):
    import pandas as pd

    rows = [{"id": p.stem, "content": p.read_text(encoding="utf-8"), "publisher": "Seed"}
            for p in sorted(SEED_CORPUS_DIR.glob("*.txt"))]
    pd.DataFrame(rows).to_csv(tmp_path / "my_articles.csv", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("analysis.corpus.prepare.PROCESSED_DIR", tmp_path / "processed", raising=False)
    scope: dict = {}
    exec(compile(_reuse_example(), "README.md", "exec"), scope)  # noqa: S102 - the documented example
    assert set(scope["mentions"]["country"]) >= {"CHN", "JPN", "MYS"}
    summary = scope["summary"]
    assert {"country", "estimate", "ci_low", "ci_high"} <= set(summary.columns)
    assert len(scope["frames"]) > 0 and scope["fig"] is not None
