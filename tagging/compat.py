"""Import-time fix-ups for the torch stack; import this module before torchvision, open_clip, timm or
sentence_transformers.

PyPI's torchvision wheel is a CUDA build whose compiled operators do not load against the CPU-only torch
this project pins: ``import torchvision`` then dies registering fake kernels for ``torchvision::nms`` (and
``qnms``) with "operator torchvision::nms does not exist". Nothing here uses NMS, so defining just the two
schemas (no kernels) lets the import succeed. When the real operators exist we leave everything alone.
"""

from __future__ import annotations

import os

import torch

# Kept at module level on purpose: a ``torch.library.Library`` drops its definitions when it is collected.
_TORCHVISION_LIB: torch.library.Library | None = None

# Schemas as torchvision's own C++ defines them (csrc/ops/nms.cpp) and its meta registrations expect them.
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)


def _has_op(name: str) -> bool:
    try:
        getattr(torch.ops.torchvision, name)
    except (AttributeError, RuntimeError):
        return False
    return True


def ensure_torchvision_ops() -> None:
    """Define the ``torchvision::nms``/``qnms`` schemas when the compiled extension did not (idempotent)."""
    global _TORCHVISION_LIB
    if _TORCHVISION_LIB is not None or _has_op("nms"):
        return
    lib = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS:
        if not _has_op(schema.split("(", 1)[0]):
            lib.define(schema)
    _TORCHVISION_LIB = lib


ensure_torchvision_ops()


def bound_threads(threads: int = 0) -> int:
    """Bound torch's intra-op thread pool (process-wide): ``threads`` when > 0, else the CPU count capped
    at 8, because more threads rarely speed up small-batch CPU inference and starve the web workers."""
    wanted = threads if threads > 0 else max(1, min(os.cpu_count() or 1, 8))
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return wanted
