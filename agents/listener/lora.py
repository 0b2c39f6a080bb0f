"""Low-rank adapters on a model's linear layers: trained with the base frozen, then merged into the
base weights once at load, so a live turn pays nothing for them."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.a = nn.Parameter(torch.randn(rank, base.in_features) / base.in_features**0.5)
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale


def targets(model: nn.Module) -> list[tuple[str, nn.Module, str]]:
    """(qualified name, parent module, attribute) of every adapted linear layer."""
    found = []
    for name, module in model.named_modules():
        for attr in TARGETS:
            child = getattr(module, attr, None)
            if isinstance(child, (nn.Linear, LoRALinear)):
                found.append((f"{name}.{attr}", module, attr))
    return found


def attach(model: nn.Module, rank: int, alpha: float, top_layers: int | None = None) -> list[nn.Parameter]:
    """Wraps every target layer, or those of the `top_layers` last decoder layers only (the layers
    below then need no backward pass); returns the trainable parameters (the base is frozen)."""
    for p in model.parameters():
        p.requires_grad_(False)
    depth = model.config.num_hidden_layers
    lowest = 0 if top_layers is None else depth - top_layers
    trainable = []
    for name, parent, attr in targets(model):
        if int(name.split("layers.")[1].split(".")[0]) < lowest:
            continue
        wrapped = LoRALinear(getattr(parent, attr), rank, alpha)
        setattr(parent, attr, wrapped)
        trainable += [wrapped.a, wrapped.b]
    return trainable


def adapter_arrays(model: nn.Module, rank: int, alpha: float) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"rank": np.int32(rank), "alpha": np.float32(alpha)}
    for name, parent, attr in targets(model):
        layer = getattr(parent, attr)
        if not isinstance(layer, LoRALinear):
            continue
        arrays[f"{name}.a"] = layer.a.detach().to(torch.float16).numpy()
        arrays[f"{name}.b"] = layer.b.detach().to(torch.float16).numpy()
    return arrays


@torch.no_grad()
def load(model: nn.Module, arrays: dict[str, np.ndarray]) -> int:
    """Sets each attached adapter to the saved one (to train on from there); returns how many."""
    loaded = 0
    for name, parent, attr in targets(model):
        layer = getattr(parent, attr)
        if isinstance(layer, LoRALinear) and f"{name}.a" in arrays:
            layer.a.copy_(torch.from_numpy(arrays[f"{name}.a"].astype(np.float32)))
            layer.b.copy_(torch.from_numpy(arrays[f"{name}.b"].astype(np.float32)))
            loaded += 1
    return loaded


@torch.no_grad()
def merge(model: nn.Module, arrays: dict[str, np.ndarray]) -> int:
    """Adds each adapter's low-rank update to its base weight; returns how many layers changed."""
    scale = float(arrays["alpha"]) / int(arrays["rank"])
    merged = 0
    for name, parent, attr in targets(model):
        if f"{name}.a" not in arrays:
            continue
        layer = getattr(parent, attr)
        a = torch.from_numpy(arrays[f"{name}.a"].astype(np.float32))
        b = torch.from_numpy(arrays[f"{name}.b"].astype(np.float32))
        layer.weight += (b @ a * scale).to(layer.weight.dtype)
        merged += 1
    return merged
