"""The torch modules of the target-sentiment scorer: LoRA adapters and the MiniLM target classifier.

Imported lazily (by :func:`analysis.sentiment.measure.build_classifier` and the loader), so that importing
:mod:`analysis.sentiment` does not start torch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from analysis.sentiment.measure import LABELS

__all__ = ["LoRALinear", "TargetClassifier"]



class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update ``B @ A``."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / np.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))  # starts as the identity update
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scaling

class TargetClassifier(nn.Module):
    """MiniLM with LoRA on its top layers -> [mean over sentence, mean over target] -> linear (3 classes).

    The bottom ``split_layer`` layers stay frozen and untouched, so training can cache
    their output once (:meth:`forward_bottom`) and run only :meth:`forward_top`.
    """

    def __init__(self, encoder, *, rank: int, alpha: float, targets: list[str], dropout: float,
                 trainable_layers: int, local_window: int = 0):
        super().__init__()
        self.local_window = int(local_window)
        self.encoder = encoder
        for p in self.encoder.parameters():
            p.requires_grad_(False)
        layers = self.encoder.encoder.layer
        self.split_layer = len(layers) - trainable_layers
        for layer in layers[self.split_layer:]:
            for path in targets:
                parent_path, name = path.rsplit(".", 1)
                parent = layer.get_submodule(parent_path)
                setattr(parent, name, LoRALinear(getattr(parent, name), rank, alpha))
        self.dropout = nn.Dropout(dropout)
        pools = 3 if self.local_window else 2
        self.head = nn.Linear(pools * encoder.config.hidden_size, len(LABELS))

    def _mask(self, h, attention_mask):
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.encoder.config, inputs_embeds=h,
                                         attention_mask=attention_mask)

    def forward_bottom(self, input_ids, attention_mask):
        h = self.encoder.embeddings(input_ids=input_ids)
        mask = self._mask(h, attention_mask)
        for layer in self.encoder.encoder.layer[:self.split_layer]:
            h = layer(h, mask)
        return h

    def pool_top(self, h, attention_mask, target_mask):
        mask = self._mask(h, attention_mask)
        for layer in self.encoder.encoder.layer[self.split_layer:]:
            h = layer(h, mask)
        am = attention_mask.unsqueeze(-1).to(h.dtype)
        tm = target_mask.unsqueeze(-1).to(h.dtype)
        sent = (h * am).sum(1) / am.sum(1).clamp(min=1)
        targ = (h * tm).sum(1) / tm.sum(1).clamp(min=1)
        if not self.local_window:
            return torch.cat([sent, targ], dim=-1)
        # Local context (as in LCF, Zeng et al. 2019): tokens within `local_window` of the target.
        k = self.local_window
        near = torch.nn.functional.max_pool1d(target_mask.to(h.dtype).unsqueeze(1), 2 * k + 1, stride=1,
                                              padding=k).squeeze(1) > 0
        lm = (near & attention_mask.bool()).unsqueeze(-1).to(h.dtype)
        local = (h * lm).sum(1) / lm.sum(1).clamp(min=1)
        return torch.cat([sent, targ, local], dim=-1)

    def forward_top(self, h, attention_mask, target_mask):
        return self.head(self.dropout(self.pool_top(h, attention_mask, target_mask)))

    def forward(self, input_ids, attention_mask, target_mask):
        return self.forward_top(self.forward_bottom(input_ids, attention_mask), attention_mask, target_mask)

    def trainable_state(self) -> dict:
        return {k: v.detach().contiguous() for k, v in self.named_parameters() if v.requires_grad}
