"""Sample-quality metrics during ``fit``: a collapse shows up as a number while training."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import keras

from vaegan_tf.callbacks.checkpoint import write_text_atomically
from vaegan_tf.metrics.classifier import Classifier
from vaegan_tf.metrics.evaluation import score_model

QUALITY_KEYS = ("mode_coverage", "kl_to_uniform", "inception_score", "mnist_fid", "mnist_kid")
"""The scores ``MnistQuality`` adds to the epoch logs with the shipped MNIST classifier (NaN
on epochs it skips); another classifier names the last two after itself."""
CLASS_MATCH = "class_match"
CODE_ACCURACY = "code_accuracy"
"""Added for class-conditional models: the share of samples classified as their class."""


class MnistQuality(keras.callbacks.Callback):
    """Scores ``samples`` prior samples with the metric suite every ``every`` epochs: on the
    shipped MNIST classifier against the 10k test digits, or on ``classifier`` against
    ``reference`` (``evaluation.reference_set`` of the user's real images).

    The scores (``QUALITY_KEYS``) go into the epoch logs, so into ``fit``'s history, the CSV
    log and TensorBoard (``scalars/quality``, via ``TensorBoardLogger``); skipped epochs get
    NaN so every epoch has the same columns. With ``json_path`` the full results (class
    counts, protocol) are rewritten after every evaluation.

    Args:
        every: Evaluate after epochs ``every - 1``, ``2 · every - 1``, ... (0-based).
        samples: Generated digits per evaluation (10 000 for the README's numbers).
        seed: Seed of the sampled latents (the same latents at every evaluation).
        json_path: Where to write the per-epoch results, e.g. ``run/metrics.json``.
        classifier: Another classifier (``metrics.classifier.find_classifier``); its name
            names the FID and KID keys (``fashion_mnist_fid``).
        reference: The real images' ``reference_set`` for ``classifier``.

    Example:
        >>> model.fit(train, epochs=10, callbacks=[MnistQuality(every=1)])  # doctest: +SKIP
    """

    def __init__(
        self,
        every: int = 1,
        samples: int = 10000,
        seed: int = 0,
        json_path: str | os.PathLike | None = None,
        classifier: Classifier | None = None,
        reference: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if (classifier is None) != (reference is None):
            raise ValueError("Give classifier and reference together (or neither: MNIST's)")
        self.classifier = classifier
        self.reference = reference
        if every <= 0 or samples <= 1:
            raise ValueError(f"every must be positive and samples > 1, got {every}, {samples}")
        self.every = every
        self.samples = samples
        self.seed = seed
        self.json_path = Path(json_path) if json_path is not None else None
        self.results: list[dict[str, Any]] = []

    def log_keys(self, model: keras.Model) -> tuple[str, ...]:
        """The keys this callback adds to ``model``'s epoch logs."""
        name = "mnist" if self.classifier is None else self.classifier.name
        keys = (*QUALITY_KEYS[:3], f"{name}_fid", f"{name}_kid")
        if model.num_classes:
            return (*keys, CLASS_MATCH)
        return (*keys, CODE_ACCURACY) if model.categorical_dim else keys

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        if (epoch + 1) % self.every:
            logs.update({key: math.nan for key in self.log_keys(self.model)})
            return
        result = score_model(self.model, self.samples, self.seed, self.classifier,
                             self.reference)
        logs.update({key: float(result[key]) for key in self.log_keys(self.model)})
        self.results.append({"epoch": epoch, **result})
        if self.json_path is not None:
            self.json_path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(self.json_path, json.dumps(self.results, indent=1) + "\n")

    def get_state(self) -> dict[str, Any]:
        return {"results": self.results}

    def set_state(self, state: dict[str, Any]) -> None:
        self.results = list(state["results"])
