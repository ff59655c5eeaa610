"""The model registry: every preset family's builder, and optimizers from a preset.

Example:
    >>> model = build_model("wgan-gp-mnist", seed=0)
    >>> model.compile(**optimizers_for(model, get_preset("wgan-gp-mnist")))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from vaegan_tf.adversarial import AdversarialModel
from vaegan_tf.began import BEGAN, build_began
from vaegan_tf.fast_paths import adam
from vaegan_tf.gan import GAN, build_gan, build_vae_lsgan
from vaegan_tf.infogan import InfoGAN, build_infogan
from vaegan_tf.larsen import LarsenVAEGAN, build_larsen
from vaegan_tf.presets import PresetBase, get_preset
from vaegan_tf.vae import VAE, build_vae
from vaegan_tf.vaegan import VAEGAN, build_vaegan

MODELS: dict[str, tuple[type[AdversarialModel], Callable[..., AdversarialModel]]] = {
    "vaegan": (VAEGAN, build_vaegan),
    "gan": (GAN, build_gan),
    "vae": (VAE, build_vae),
    "began": (BEGAN, build_began),
    "infogan": (InfoGAN, build_infogan),
    "larsen": (LarsenVAEGAN, build_larsen),
    "vae-lsgan": (GAN, build_vae_lsgan),
}
"""Preset family → (model class, builder taking a preset and a seed)."""


def build_model(preset: str | PresetBase, seed: int | None = None,
                **overrides: Any) -> AdversarialModel:
    """Builds the uncompiled model of any registered preset (a name or a preset)."""
    config = get_preset(preset, **overrides) if isinstance(preset, str) else preset.replace(
        **overrides)
    _, builder = MODELS[config.family]
    return builder(config, seed=seed)


def make_optimizer(preset: PresetBase, name: str) -> keras.optimizers.Optimizer:
    """A fresh optimizer for network ``name`` as the preset says (kind, learning rate, betas:
    ``preset.optimizer_settings(name)``), named ``name`` (Adam: ``FusedAdam`` where the fast
    paths are on)."""
    settings = preset.optimizer_settings(name)
    if settings["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(settings["learning_rate"], name=name)
    return adam(settings["learning_rate"], beta_1=settings["adam_beta_1"],
                beta_2=settings["adam_beta_2"], name=name)


def optimizers_for(model: AdversarialModel, preset: PresetBase) -> dict[str, Any]:
    """One optimizer per network of ``model``, as keyword arguments for its ``compile``."""
    return {f"{name}_optimizer": make_optimizer(preset, name) for name in model.network_names}
