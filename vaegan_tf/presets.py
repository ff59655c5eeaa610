"""Presets: every number and choice that defines a model, in one frozen dataclass per setup.

Code holds logic; presets hold numbers. ``PRESETS`` is the registry: a name → a preset of one
model family (``VAEGANPreset`` for the VAE-GAN, ``GANPreset`` for the GAN family). Every preset
shares ``PresetBase``'s fields (data, prior, optimizer, run length, file names); each family
adds its own. Each field that the NTUT spec (``docs/spec.md``; "spec N.N" is its section N.N)
marks unknown ([U]) is a field here, with the spec's recommended default, so a different
reading of the original is one override away: ``build_vaegan("mnist", conv_kernel_size=3)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

OutputActivation = Literal["tanh", "sigmoid"]
Dataset = Literal["mnist", "faces"]
DATASETS = ("mnist", "faces")
OPTIMIZERS = ("adam", "rmsprop")
OPTIMIZER_FIELDS = ("optimizer", "learning_rate", "adam_beta_1", "adam_beta_2")
"""The ``PresetBase`` fields a network's own entry in ``network_optimizers`` may set."""
FeatureTap = Literal["conv", "batch_norm", "activation"]
GeneratorActivation = Literal["relu", "leaky_relu"]
DecoderLossVariant = Literal["prior", "real"]
DECODER_LOSS_VARIANTS = ("prior", "real")

_OUTPUT_RANGES: dict[str, tuple[float, float]] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}

# The NTUT face experiment's four learning-rate schedules (spec 4.4), each applied to each of
# the three optimizers and driven by that network's own validation loss. All start at 5e-4.
SCHEDULE_PRESETS: dict[int, tuple[str, dict[str, Any]]] = {
    1: ("constant", {}),
    2: ("plateau", {"factor": 0.85, "min_lr": 1e-4, "patience": 10}),
    3: ("plateau", {"factor": 0.75, "min_lr": 5e-6, "patience": 6}),
    # What the original code did (reproduces all 300 logged rates), not what its README says:
    # decay when the loss is strictly below all of the previous 4; readme_rule=True for the
    # README's "decay when it has not dropped below the previous 6".
    4: ("ntut_buffer", {"factor": 0.6, "min_lr": 5e-6, "window": 4, "readme_rule": False}),
}


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _conformed(name: str, declared: Any, value: Any) -> Any:
    """``value`` as field ``name`` of type ``declared`` stores it (an int given for a float
    becomes a float); ``ValueError`` naming the field if it is not of that type."""
    origin = typing.get_origin(declared)
    if origin is Literal:
        if value in typing.get_args(declared) and isinstance(value, str):
            return value
        wanted = "one of " + ", ".join(repr(choice) for choice in typing.get_args(declared))
    elif origin is tuple:
        kinds = typing.get_args(declared)
        if kinds[-1:] == (Ellipsis,) and isinstance(value, list | tuple):  # tuple[int, ...]
            kinds = (kinds[0],) * len(value)
        if isinstance(value, list | tuple) and len(value) == len(kinds):
            return tuple(_conformed(f"{name}[{index}]", kind, item)
                         for index, (kind, item) in enumerate(zip(kinds, value, strict=True)))
        wanted = (f"values of type {kinds[0].__name__}" if kinds[-1:] == (Ellipsis,) else
                  f"{len(kinds)} values ({', '.join(kind.__name__ for kind in kinds)})")
    elif declared is bool:
        if isinstance(value, bool):
            return value
        wanted = "true or false"
    elif declared is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        wanted = "an integer"
    elif declared is float:
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value):
            return float(value)
        wanted = "a finite number"
    elif declared is str:
        if isinstance(value, str):
            return value
        wanted = "a string"
    else:
        return value
    raise ValueError(f"{name} must be {wanted}, got {value!r}")


def check_field_types(instance: Any) -> None:
    """Checks every dataclass field of ``instance`` against its declared type, before any
    range check compares it: ``ValueError`` names the first field that is not (a float for an
    int, a string for a number or a tuple, NaN or inf for a float, a value outside a
    ``Literal``). Ints given for float fields are stored as floats."""
    types = _field_types(type(instance))
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        conformed = _conformed(field.name, types[field.name], value)
        if conformed is not value:
            object.__setattr__(instance, field.name, conformed)


def _check_optimizer_settings(settings: dict[str, Any], prefix: str) -> None:
    """Range checks of ``OPTIMIZER_FIELDS`` values; ``prefix`` names the network's entry."""
    if settings["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"{prefix}optimizer must be one of {OPTIMIZERS}, "
                         f"got {settings['optimizer']!r}")
    if settings["learning_rate"] <= 0:
        raise ValueError(f"{prefix}learning_rate must be positive, "
                         f"got {settings['learning_rate']}")
    for field in ("adam_beta_1", "adam_beta_2"):
        if not 0.0 <= settings[field] < 1.0:
            raise ValueError(f"{prefix}{field} must be in [0, 1), got {settings[field]}")


def _check_positive(instance: Any, *fields: str, allow_zero: bool = False) -> None:
    for field in fields:
        values = getattr(instance, field)
        for value in values if isinstance(values, tuple) else (values,):
            if value < 0 or (value == 0 and not allow_zero):
                raise ValueError(f"{field} must be {'>= 0' if allow_zero else 'positive'}, "
                                 f"got {values}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PresetBase:
    """The fields every preset has: what data, what prior, how to optimise, how long, the files.

    Args:
        name: Preset name.
        dataset: Where ``vaegan-tf train`` takes the data from: ``"mnist"`` (the offline MNIST
            sources, validation on the 10k test digits) or ``"faces"`` (a folder of images, a
            TFDS ``celeb_a`` data dir, or ``lfw-mini``).
        image_shape: (height, width, channels) of the data.
        latent_dim: Size of the latent code (the prior N(0, I)).
        output_activation: The generator's output activation; it fixes the data range:
            ``"tanh"`` → [-1, 1], ``"sigmoid"`` → [0, 1].
        leaky_relu_slope: Negative slope of every LeakyReLU (``tf.nn.leaky_relu``'s 0.2;
            Keras 3's layer default would be 0.3).
        optimizer: ``"adam"`` or ``"rmsprop"``, one instance per network.
        learning_rate: Initial learning rate of every network's optimizer.
        adam_beta_1: Adam β1 (Keras' default 0.9, what ``Adam(5e-4)`` gave in TF 2.2).
        adam_beta_2: Adam β2.
        network_optimizers: One network's own optimizer settings over the four above, e.g.
            ``{"discriminator": {"learning_rate": 4e-4}}`` (TTUR); keys are the family's
            ``networks``, values dicts of ``OPTIMIZER_FIELDS``. On the command line
            ``--set discriminator.learning_rate=4e-4``.
        ema_decay: An exponential moving average of the generator's (the decoder's) weights
            for every sample, grid, score and saved network file (0: none; 0.999 is a common
            choice), with TensorFlow's warm-up ``min(decay, (1 + n) / (10 + n))``.
        ema_standing_samples: With ``ema_decay``: the average's batch-norm statistics are
            recomputed from this many of its own samples before it samples (standing
            statistics) instead of copied from the live network (0: copied).
        schedule: Default NTUT learning-rate schedule, 1-4 (``SCHEDULE_PRESETS``).
        batch_size: Training batch size (images per discriminator step).
        epochs: Epochs of a full run.
        sample_every: Write a sample grid every this many epochs (epochs 4, 9, ... for 5).
        grid_filename: Sample-grid file name, formatted with the 0-based ``epoch``.
        gif_filename: Name of the progress GIF.
    """

    family: ClassVar[str] = ""
    """The model family, the key of ``vaegan_tf.models.MODELS`` that builds this preset."""
    networks: ClassVar[tuple[str, ...]] = ()
    """The family's networks, one optimizer each (the model's ``network_names``)."""

    name: str
    dataset: Dataset = "mnist"
    image_shape: tuple[int, int, int] = (28, 28, 1)
    latent_dim: int = 64
    output_activation: OutputActivation = "tanh"
    leaky_relu_slope: float = 0.2
    optimizer: str = "adam"
    learning_rate: float = 5e-4
    adam_beta_1: float = 0.9
    adam_beta_2: float = 0.999
    network_optimizers: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    ema_decay: float = 0.0
    ema_standing_samples: int = 0
    schedule: int = 1
    batch_size: int = 100
    epochs: int = 100
    sample_every: int = 5
    grid_filename: str = "image_at_epoch_{epoch:03d}.png"
    gif_filename: str = "number.gif"

    def __post_init__(self) -> None:
        check_field_types(self)
        if self.output_activation not in _OUTPUT_RANGES:
            raise ValueError(
                f"output_activation must be one of {sorted(_OUTPUT_RANGES)}, "
                f"got {self.output_activation!r}"
            )
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        _check_positive(self, "image_shape", "latent_dim", "batch_size", "epochs",
                        "sample_every")
        _check_positive(self, "leaky_relu_slope", allow_zero=True)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        _check_positive(self, "ema_standing_samples", allow_zero=True)
        if self.ema_standing_samples and not self.ema_decay:
            raise ValueError("ema_standing_samples recomputes the statistics of the generator's "
                             "average: it needs ema_decay > 0")
        _check_optimizer_settings(self.optimizer_settings(), "")
        object.__setattr__(self, "network_optimizers", self._checked_network_optimizers())
        if self.schedule not in SCHEDULE_PRESETS:
            raise ValueError(
                f"schedule must be one of {sorted(SCHEDULE_PRESETS)}, got {self.schedule}"
            )
        for field in ("grid_filename", "gif_filename"):
            name = getattr(self, field)
            # A file name, not a path: nothing a configuration says may land outside the run.
            if not name or name in (".", "..") or "/" in name or "\\" in name:
                raise ValueError(f"{field} must be a file name inside the run directory, "
                                 f"not a path: got {name!r}")
        if "{epoch" not in self.grid_filename:
            raise ValueError("grid_filename must contain an {epoch} field, e.g. "
                             f"'image_at_epoch_{{epoch:03d}}.png'; got {self.grid_filename!r}")

    def _checked_network_optimizers(self) -> dict[str, dict[str, Any]]:
        """``network_optimizers`` typed and checked (``ValueError`` naming the entry), in the
        family's network order."""
        if not isinstance(self.network_optimizers, dict):
            raise ValueError("network_optimizers must map network names to settings, got "
                             f"{self.network_optimizers!r}")
        unknown = sorted(set(self.network_optimizers) - set(self.networks))
        if unknown:
            raise ValueError(f"network_optimizers: no network {unknown[0]!r} in a "
                             f"{self.family} model; its networks: {', '.join(self.networks)}")
        types = _field_types(PresetBase)
        checked = {}
        for network in self.networks:
            settings = self.network_optimizers.get(network)
            if settings is None:
                continue
            if not isinstance(settings, dict) or not settings:
                raise ValueError(f"network_optimizers[{network!r}] must be a non-empty dict "
                                 f"of {', '.join(OPTIMIZER_FIELDS)}, got {settings!r}")
            wrong = sorted(set(settings) - set(OPTIMIZER_FIELDS))
            if wrong:
                raise ValueError(f"network_optimizers[{network!r}]: {wrong[0]!r} is not an "
                                 f"optimizer setting; settings: {', '.join(OPTIMIZER_FIELDS)}")
            checked[network] = {field: _conformed(f"{network}.{field}", types[field],
                                                  settings[field])
                                for field in OPTIMIZER_FIELDS if field in settings}
            _check_optimizer_settings(self.optimizer_settings() | checked[network],
                                      f"{network}.")
        return checked

    def averaging(self) -> dict[str, Any]:
        """The model's keyword arguments of the generator average (``AdversarialModel``).

        Example:
            >>> get_preset("dcgan-mnist", ema_decay=0.999).averaging()
            {'ema_decay': 0.999, 'ema_standing_samples': 0}
        """
        return {"ema_decay": self.ema_decay, "ema_standing_samples": self.ema_standing_samples}

    def optimizer_settings(self, network: str | None = None) -> dict[str, Any]:
        """The optimizer fields (``OPTIMIZER_FIELDS``) of ``network``: the preset's own, with
        the network's ``network_optimizers`` entry over them (``None``: the shared ones).

        Example:
            >>> get_preset("infogan-mnist").optimizer_settings("generator")["learning_rate"]
            0.001
        """
        shared = {field: getattr(self, field) for field in OPTIMIZER_FIELDS}
        if network is None:
            return shared
        if network not in self.networks:
            raise ValueError(f"No network {network!r} in a {self.family} model; its networks: "
                             f"{', '.join(self.networks)}")
        return shared | self.network_optimizers.get(network, {})

    @property
    def images_per_step(self) -> int:
        """Images one train step takes (GANs: ``discriminator_steps`` batches)."""
        return self.batch_size

    @property
    def data_range(self) -> tuple[float, float]:
        """The (low, high) pixel range of the data, fixed by the output activation."""
        return _OUTPUT_RANGES[self.output_activation]

    def replace(self, **overrides: Any) -> PresetBase:
        """Returns a copy with some fields changed; unknown field names raise ``TypeError``."""
        known = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"Unknown preset field(s) {unknown}; known fields: {sorted(known)}")
        return dataclasses.replace(self, **overrides)

    def parse_override(self, assignment: str) -> tuple[str, Any]:
        """Parses ``"field=value"`` into a typed override, typed like the field's current value.

        Tuples are written comma-separated (``conv_filters=32,64``); booleans as true/false.

        Example:
            >>> get_preset("mnist").parse_override("conv_kernel_size=3")
            ('conv_kernel_size', 3)
        """
        field, separator, text = assignment.partition("=")
        field = field.strip()
        network, dot, setting = field.partition(".")
        if separator and dot:
            return self._parse_network_override(network, setting, text)
        if not separator or not hasattr(self, field) or field in (
                "name", "family", "networks", "network_optimizers"):
            fields = ", ".join(sorted(f.name for f in dataclasses.fields(self)
                                      if f.name != "name"))
            raise ValueError(f"Expected FIELD=VALUE (or NETWORK.SETTING=VALUE) with a field of "
                             f"preset {self.name!r}, got {assignment!r}; its fields: {fields}")
        current = getattr(self, field)
        try:
            if isinstance(current, bool):
                if text.lower() not in ("true", "false"):
                    raise ValueError("expected true or false")
                return field, text.lower() == "true"
            if isinstance(current, tuple):
                return field, tuple(type(current[0])(part) for part in text.split(","))
            return field, type(current)(text)
        except ValueError as error:
            raise ValueError(f"Bad value for {field}: {text!r} ({error})") from None

    def _parse_network_override(self, network: str, setting: str,
                                text: str) -> tuple[str, dict[str, dict[str, Any]]]:
        """``network.setting=text`` as the whole new ``network_optimizers`` value."""
        if network not in self.networks or setting not in OPTIMIZER_FIELDS:
            raise ValueError(
                f"Expected NETWORK.SETTING=VALUE with a network of preset {self.name!r} "
                f"({', '.join(self.networks)}) and one of {', '.join(OPTIMIZER_FIELDS)}, got "
                f"{network}.{setting}")
        _, value = self.parse_override(f"{setting}={text}")
        entry = self.network_optimizers.get(network, {}) | {setting: value}
        return "network_optimizers", self.network_optimizers | {network: entry}

    def with_assignments(self, assignments: Iterable[str]) -> PresetBase:
        """A copy with ``"field=value"`` assignments (``parse_override``'s) applied in order,
        so that several ``NETWORK.SETTING=VALUE`` ones add up.

        Example:
            >>> get_preset("dcgan-mnist").with_assignments(
            ...     ["discriminator.learning_rate=4e-4", "generator.learning_rate=1e-4"])
        """
        preset = self
        for assignment in assignments:
            preset = preset.replace(**dict([preset.parse_override(assignment)]))
        return preset

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


VAEGAN_NETWORKS = ("encoder", "decoder", "discriminator")
UPDATE_ORDERS = ("simultaneous", "sequential")
FEATURE_REDUCTIONS = ("sum", "mean")


class ObjectiveFields:
    """What a model's objective dataclass shares: built from a preset (which inherits its
    fields) or from the dict a saved model's config holds, and written back as that dict."""

    @classmethod
    def of(cls, preset: Any) -> Any:
        """The objective fields of ``preset`` (a preset that inherits them) as ``cls``."""
        return cls(**{field.name: getattr(preset, field.name)
                      for field in dataclasses.fields(cls)})

    @classmethod
    def resolve(cls, objective: Any, overrides: dict[str, Any]) -> Any:
        """``cls`` from a model's ``objective=`` argument (an instance, its dict or None for
        the defaults) with any of its fields given as keyword arguments taken out of
        ``overrides`` (a model's ``**kwargs``) and over it."""
        fields = (objective.to_dict() if isinstance(objective, cls)
                  else dict(objective or {}))
        fields.update({field.name: overrides.pop(field.name)
                       for field in dataclasses.fields(cls) if field.name in overrides})
        return cls.from_dict(fields)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Any:
        """``cls`` from ``to_dict()``'s output read back from JSON (lists become tuples)."""
        return cls(**{key: tuple(value) if isinstance(value, list) else value
                      for key, value in values.items()})

    def to_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name)
                for field in dataclasses.fields(type(self))}


@dataclasses.dataclass(frozen=True, kw_only=True)
class EquilibriumGateFields(ObjectiveFields):
    """The equilibrium gate of the VAE/GAN code (Larsen et al.), shared by the VAE-GAN
    objectives (``AdversarialModel.equilibrium_gate``).

    Args:
        equilibrium: Target BCE of each discriminator term (≈ ln 2; the code's 0.68).
        equilibrium_margin: Skip D's update while its real or fake cost is below
            ``equilibrium − margin``, the decoder's while one is above ``equilibrium +
            margin`` (both update when neither would); 0 turns the gate off. The paper's code:
            0.4; its PyTorch port: 0.35.
    """

    equilibrium: float = 0.68
    equilibrium_margin: float = 0.0

    def _check_gate(self) -> None:
        _check_positive(self, "equilibrium_margin", allow_zero=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class VAEGANObjective(EquilibriumGateFields):
    """What the VAE-GAN's train step optimises and how (its ``VAEGAN(objective=...)``), with
    the equilibrium gate's fields (``EquilibriumGateFields``; off in the NTUT model).

    Args:
        feature_loss_scale: Divisor of Loss_ll in the encoder loss (4·4·256 = 4096, kept from
            upstream although it does not match this architecture; spec 7.5).
        decoder_feature_weight: γ, the weight of Loss_ll in the decoder loss (1e-8).
        decoder_loss_variant: ``"prior"``: −ln D(x̃) − ln D(x_p) (June-30 diagram, default);
            ``"real"``: −ln D(x̃) − ln D(x) (May-24 diagram, spec 7.3).
        share_prior_noise: Use the reparameterisation noise as the prior sample too ([U];
            default two independent draws, as upstream).
        real_label_range: (low, high) of the discriminator's training target for real images;
            (1, 1) is the hard label. Soft labels (spec 3.5, [U] ranges): (0.7, 1.2), the
            example of the trick list the original README links.
        fake_label_range: The same for reconstructions and prior samples; (0, 0) hard, (0.0,
            0.3) soft.
        label_flip_probability: Chance that a discriminator target is drawn from the other
            class's range ("noisy labels"; [U], 0.05 in the soft-label preset).
        batch_norm_inference: Comma-separated networks whose batch norm runs in inference
            mode inside the training step (moving statistics, never updated), as TF 2.2 code
            that called a model without ``training=True`` did; "" (default): none. Issue 11.
        discriminator_joint_batch: Call D once on the concatenated real, reconstructed and
            prior batches (shared batch-norm statistics) instead of three times.
        feature_reduction: Loss_ll ``"sum"`` (default) or ``"mean"`` over D's features.
        update_order: ``"simultaneous"``: every gradient from one forward pass (default);
            ``"sequential"``: D, then the decoder, then the encoder, each after the previous
            update with a fresh forward pass (many TF 2 tutorials).
        logits_mistake: ``"decoder"`` or ``"discriminator"``: that loss applies a
            from-logits BCE to D's probabilities (a mistake the original might have made);
            "" (default): none.
    """

    feature_loss_scale: float = 4096.0
    decoder_feature_weight: float = 1e-8
    decoder_loss_variant: DecoderLossVariant = "prior"
    share_prior_noise: bool = False
    real_label_range: tuple[float, float] = (1.0, 1.0)
    fake_label_range: tuple[float, float] = (0.0, 0.0)
    label_flip_probability: float = 0.0
    batch_norm_inference: str = ""
    discriminator_joint_batch: bool = False
    feature_reduction: str = "sum"
    update_order: str = "simultaneous"
    logits_mistake: str = ""

    def __post_init__(self) -> None:
        check_field_types(self)
        _check_positive(self, "feature_loss_scale")
        _check_positive(self, "decoder_feature_weight", allow_zero=True)
        if self.decoder_loss_variant not in DECODER_LOSS_VARIANTS:
            raise ValueError(
                f"decoder_loss_variant must be one of {DECODER_LOSS_VARIANTS}, "
                f"got {self.decoder_loss_variant!r}"
            )
        for field in ("real_label_range", "fake_label_range"):
            low, high = getattr(self, field)
            if low > high:
                raise ValueError(f"{field} must be (low, high) with low <= high, got {(low, high)}")
        self._check_gate()
        if not 0.0 <= self.label_flip_probability <= 1.0:
            raise ValueError(
                f"label_flip_probability must be in [0, 1], got {self.label_flip_probability}"
            )
        unknown = sorted(set(self.inference_networks) - set(VAEGAN_NETWORKS))
        if unknown:
            raise ValueError(f"batch_norm_inference names unknown networks {unknown}; use "
                             f"comma-separated names from {VAEGAN_NETWORKS}")
        if self.feature_reduction not in FEATURE_REDUCTIONS:
            raise ValueError(f"feature_reduction must be one of {FEATURE_REDUCTIONS}, got "
                             f"{self.feature_reduction!r}")
        if self.update_order not in UPDATE_ORDERS:
            raise ValueError(f"update_order must be one of {UPDATE_ORDERS}, got "
                             f"{self.update_order!r}")
        if self.logits_mistake not in ("", "decoder", "discriminator"):
            raise ValueError("logits_mistake must be '', 'decoder' or 'discriminator', got "
                             f"{self.logits_mistake!r}")
        if self.update_order == "sequential" and self.equilibrium_margin > 0.0:
            raise ValueError("The equilibrium gate needs update_order='simultaneous'")

    @property
    def inference_networks(self) -> tuple[str, ...]:
        """The networks named by ``batch_norm_inference``."""
        return tuple(name.strip() for name in self.batch_norm_inference.split(",")
                     if name.strip())



@dataclasses.dataclass(frozen=True, kw_only=True)
class VAEGANPreset(PresetBase, VAEGANObjective):
    """One VAE-GAN setup: its networks, its objective (``VAEGANObjective``) and
    ``PresetBase``'s fields.

    The encoder outputs ``2 * latent_dim`` values (mean, then log-variance).

    Args:
        conv_filters: Filters of the two stride-2 ``valid`` convolutions shared by the encoder
            and the discriminator trunk.
        conv_kernel_size: Kernel of those convolutions. [U] in the spec: 4 (3 gives the same
            shapes on MNIST; InfoGAN's MNIST D uses 4).
        first_conv_activation: Activation inside the first convolution ([U]; ``"leaky_relu"``
            as in InfoGAN, or ``"linear"``).
        dense_units: Width of the hidden dense layer in all three networks.
        minibatch_kernels: Kernels of a ``MinibatchDiscrimination`` layer after the
            discriminator's flattened conv block (0: none, as in the MNIST D).
        minibatch_kernel_dim: Dimension of each minibatch kernel (5, improved-gan's default [U]).
        discriminator_dropout: Dropout rate before the discriminator's dense layer (0: none).
            [U] for faces: 0.3, the TF DCGAN tutorial's D dropout, the code lineage the
            notebooks followed.
        decoder_base_shape: Shape the decoder's second dense layer is reshaped to.
        decoder_filters: Filters of the first transposed convolution.
        decoder_kernel_sizes: Kernels of the two transposed convolutions (forced by the shapes).
        feature_tap: Which tensor of the discriminator's conv block is the learned-similarity
            feature for Loss_ll ([U]): the flattened ``"activation"`` output (default),
            ``"batch_norm"`` output or raw ``"conv"`` output.
    """

    conv_filters: tuple[int, int] = (64, 128)
    conv_kernel_size: int = 4
    first_conv_activation: str = "leaky_relu"
    dense_units: int = 1024
    minibatch_kernels: int = 0
    minibatch_kernel_dim: int = 5
    discriminator_dropout: float = 0.0
    decoder_base_shape: tuple[int, int, int] = (6, 6, 128)
    decoder_filters: int = 64
    decoder_kernel_sizes: tuple[int, int] = (3, 4)
    feature_tap: FeatureTap = "activation"

    family: ClassVar[str] = "vaegan"
    networks: ClassVar[tuple[str, ...]] = VAEGAN_NETWORKS

    def __post_init__(self) -> None:
        PresetBase.__post_init__(self)
        VAEGANObjective.__post_init__(self)
        if self.feature_tap not in ("conv", "batch_norm", "activation"):
            raise ValueError(
                "feature_tap must be 'conv', 'batch_norm' or 'activation', "
                f"got {self.feature_tap!r}"
            )
        _check_positive(self, "conv_filters", "conv_kernel_size", "dense_units",
                        "minibatch_kernel_dim", "decoder_base_shape", "decoder_filters",
                        "decoder_kernel_sizes")
        _check_positive(self, "minibatch_kernels", allow_zero=True)
        if not 0.0 <= self.discriminator_dropout < 1.0:
            raise ValueError(
                f"discriminator_dropout must be in [0, 1), got {self.discriminator_dropout}"
            )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConvStackPreset(PresetBase):
    """The fields of the models built from one convolution stack down and its mirror up
    (``networks.vae``): the VAE, and BEGAN's generator and auto-encoder discriminator.

    Args:
        encoder_filters: Widths of the stride-2 convolutions down; the decoder mirrors them.
            The image sides must halve once per width (64 → 2 with five).
        kernel_size: Kernel of every (transposed) convolution (the VAE seed's 3).
        batch_norm: Batch norm after every convolution but the decoder's last (the VAE seed's
            layer table ends in a batch norm of the image too).
    """

    encoder_filters: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    batch_norm: bool = True

    def __post_init__(self) -> None:
        PresetBase.__post_init__(self)
        _check_positive(self, "encoder_filters", "kernel_size")
        if not self.encoder_filters:
            raise ValueError("encoder_filters needs at least one width")


@dataclasses.dataclass(frozen=True, kw_only=True)
class VAEPreset(ConvStackPreset):
    """A variational autoencoder without a discriminator (Kingma & Welling 2014), the recipe of
    the VAE seed (seed 000, the PyTorch-VAE lineage): stride-2 convolutions with batch norm and
    LeakyReLU down, transposed ones up, mean-squared-error reconstruction plus a weighted KL.

    Args:
        kl_weight: Weight of the KL term against the per-pixel mean squared error (the seed's
            0.00025).
    """

    kl_weight: float = 0.00025

    family: ClassVar[str] = "vae"
    networks: ClassVar[tuple[str, ...]] = ("encoder", "decoder")

    def __post_init__(self) -> None:
        ConvStackPreset.__post_init__(self)
        _check_positive(self, "kl_weight")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BEGANPreset(ConvStackPreset):
    """BEGAN (Berthelot et al. 2017): an auto-encoder discriminator whose L1 reconstruction
    loss L(·) the generator lowers on its fakes; k_t balances the two.

    ``L_D = L(x) − k_t · L(G(z))``, ``L_G = L(G(z))``, after each step
    ``k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)``; the convergence measure
    ``M = L(x) + |γ L(x) − L(G(z))|``.

    Args:
        gamma: γ = E L(G(z)) / E L(x), the diversity ratio: lower γ asks D to reconstruct real
            images better than fakes by more, which the paper finds gives sharper but less
            diverse samples; higher γ more diverse, blurrier ones (the paper's 0.5; 0.3–0.7).
        lambda_k: λ_k, the learning rate of k_t (the paper's 0.001).
        k_initial: k_0 (the paper's 0).
        hidden_dim: Width of the auto-encoder's code h (the paper's 64, as its z).
    """

    gamma: float = 0.5
    lambda_k: float = 0.001
    k_initial: float = 0.0
    hidden_dim: int = 64

    family: ClassVar[str] = "began"
    networks: ClassVar[tuple[str, ...]] = ("generator", "discriminator")

    def __post_init__(self) -> None:
        ConvStackPreset.__post_init__(self)
        _check_positive(self, "gamma", "lambda_k", "hidden_dim")
        if not 0.0 <= self.k_initial <= 1.0:
            raise ValueError(f"k_initial must be in [0, 1], got {self.k_initial}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class LarsenObjective(EquilibriumGateFields):
    """What the Larsen VAE-GAN's train step optimises: the paper's own code (Larsen et al.
    2016, ``autoencoding_beyond_pixels``, ``model/aegan.py``), with the equilibrium gate's
    fields (``EquilibriumGateFields``; the presets: the code's 0.68 ± 0.4).

    Args:
        reconstruction_weight: w of the decoder's gradient, w · ∇(feature NLL) −
            (1 − w) · ∇(D's loss on the fakes) (the code's ``recon_vs_gan_weight``; its CelebA
            run: 1e-6).
        discriminate_reconstructions: Whether D also sees the reconstructions as fakes (the
            code's ``discriminate_ae_recon``: False in its CelebA run, True in the PyTorch
            port); the prior samples always.
    """

    reconstruction_weight: float = 1e-6
    discriminate_reconstructions: bool = False

    def __post_init__(self) -> None:
        check_field_types(self)
        if not 0.0 <= self.reconstruction_weight <= 1.0:
            raise ValueError(f"reconstruction_weight must be in [0, 1], "
                             f"got {self.reconstruction_weight}")
        self._check_gate()


@dataclasses.dataclass(frozen=True, kw_only=True)
class LarsenPreset(PresetBase, LarsenObjective):
    """The Larsen VAE-GAN as its paper's code trained it, with the networks of its PyTorch port
    (seed 002's layer tables), and ``PresetBase``'s fields.

    Encoder: [Conv ``kernel_size`` stride 2 → BN → LeakyReLU] per ``encoder_filters`` →
    Dense ``encoder_units`` → BN → LeakyReLU → mean ‖ log-variance. Discriminator: Conv stride 1
    → LeakyReLU, then [Conv stride 2 → BN → LeakyReLU] per further width → Dense
    ``discriminator_units`` → BN → LeakyReLU → Dense 1 → sigmoid; its second output is the
    convolution output (before batch norm) of block ``feature_layer``, flattened: the layer
    whose Gaussian NLL is the reconstruction error. Decoder: Dense → BN → LeakyReLU →
    ``decoder_base_shape`` → [ConvTranspose stride s → BN → LeakyReLU] per
    ``decoder_filters``/``decoder_strides`` → ConvTranspose into the image's channels, stride 1
    → the output activation.

    Args:
        encoder_filters: Widths of the encoder's convolutions (the port's 64-128-256).
        encoder_units: Width of the encoder's dense layer (2048).
        discriminator_filters: Widths of D's convolutions, the first at stride 1 (32-128-256-256).
        discriminator_units: Width of D's dense layer (512).
        decoder_base_shape: The map the decoder's dense layer is reshaped to (8×8×256 at 64×64).
        decoder_filters: Widths of the decoder's transposed convolutions (256-128-32).
        decoder_strides: Their strides; base × their product = the image side.
        kernel_size: Kernel of the encoder's and D's convolutions and of the decoder's last (5).
        decoder_kernel_size: Kernel of the decoder's other transposed convolutions (the
            port's 6: its parameter counts say so).
        feature_layer: Index of D's convolution whose output is the learned similarity
            feature (the port's ``recon_level`` 3: the last, at 8×8×256 for 64×64).
    """

    family: ClassVar[str] = "larsen"
    networks: ClassVar[tuple[str, ...]] = VAEGAN_NETWORKS

    encoder_filters: tuple[int, ...] = (64, 128, 256)
    encoder_units: int = 2048
    discriminator_filters: tuple[int, ...] = (32, 128, 256, 256)
    discriminator_units: int = 512
    decoder_base_shape: tuple[int, int, int] = (8, 8, 256)
    decoder_filters: tuple[int, ...] = (256, 128, 32)
    decoder_strides: tuple[int, ...] = (2, 2, 2)
    kernel_size: int = 5
    decoder_kernel_size: int = 6
    feature_layer: int = 3

    def __post_init__(self) -> None:
        PresetBase.__post_init__(self)
        LarsenObjective.__post_init__(self)
        _check_positive(self, "encoder_filters", "encoder_units", "discriminator_filters",
                        "discriminator_units", "decoder_base_shape", "decoder_filters",
                        "decoder_strides", "kernel_size", "decoder_kernel_size")
        if not self.encoder_filters or not self.discriminator_filters:
            raise ValueError("encoder_filters and discriminator_filters need a width each")
        if len(self.decoder_strides) != len(self.decoder_filters):
            raise ValueError(f"decoder_strides ({len(self.decoder_strides)}) needs one stride "
                             f"per decoder_filters width ({len(self.decoder_filters)})")
        side = self.decoder_base_shape[0] * math.prod(self.decoder_strides)
        if (side, side) != tuple(self.image_shape[:2]) or \
                self.decoder_base_shape[0] != self.decoder_base_shape[1]:
            raise ValueError(
                f"The decoder makes {side}×{side} images from {self.decoder_base_shape} with "
                f"strides {self.decoder_strides}; image_shape is {self.image_shape}")
        if not 0 <= self.feature_layer < len(self.discriminator_filters):
            raise ValueError(f"feature_layer must index discriminator_filters (0 to "
                             f"{len(self.discriminator_filters) - 1}), got {self.feature_layer}")


GAN_LOSS_KINDS = ("non_saturating", "minimax", "least_squares", "wasserstein", "hinge")
NORMALIZATIONS = ("batch_norm", "layer_norm", "none")


@dataclasses.dataclass(frozen=True, kw_only=True)
class GANObjective(ObjectiveFields):
    """What a GAN's train step optimises, and how often each network steps.

    Args:
        loss: The adversarial loss pair (``vaegan_tf.losses.gan_losses``):
            ``"non_saturating"`` (DCGAN), ``"minimax"``, ``"least_squares"`` (LSGAN),
            ``"wasserstein"`` (WGAN, WGAN-GP) or ``"hinge"``.
        least_squares_targets: LSGAN's (a, b, c): D's target for fakes and for real images,
            and G's target for its fakes (the paper's a = −1, b = 1, c = 0).
        gradient_penalty_weight: λ of the WGAN-GP penalty (0: none).
        clip_value: WGAN weight clipping: every critic weight is clipped to [−c, c] after each
            critic step (0: none).
        discriminator_steps: Critic steps per generator step. Each critic step takes a fresh
            batch: a train step receives ``discriminator_steps`` batches at once (one
            ``batch_size · discriminator_steps`` batch, split), as in the WGAN papers'
            algorithm, so an epoch still sees every image once.
        generator_steps: Generator steps per train step, each with fresh noise (DCGAN: 2,
            the generative-models collection's choice).
        real_label_range: (low, high) of D's training target for real images, drawn per
            image each step (one-sided label smoothing; the face GAN's improved model:
            (0.7, 1.2)); (1, 1): hard labels. Only with the BCE losses (``non_saturating``,
            ``minimax``); validation losses use hard labels.
        label_noise: σ of Gaussian noise added to each of D's training targets, real and
            fake, per image and step (the VAE-pretrained LSGAN's 0.1); 0: none. With the
            ``least_squares`` loss only (its targets are any numbers).
        label_swap_every: Every N-th discriminator step trains D with the real and the fake
            targets swapped (the VAE-pretrained LSGAN's 16); 0: never. With the
            ``least_squares`` loss only.
        input_noise: σ of Gaussian noise added to every image D sees in its own training
            step, real and fake (instance noise, in the data's units); 0: none.
    """

    loss: str = "non_saturating"
    least_squares_targets: tuple[float, float, float] = (-1.0, 1.0, 0.0)
    gradient_penalty_weight: float = 0.0
    clip_value: float = 0.0
    discriminator_steps: int = 1
    generator_steps: int = 1
    real_label_range: tuple[float, float] = (1.0, 1.0)
    label_noise: float = 0.0
    label_swap_every: int = 0
    input_noise: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self)
        if self.loss not in GAN_LOSS_KINDS:
            raise ValueError(f"loss must be one of {GAN_LOSS_KINDS}, got {self.loss!r}")
        low, high = self.real_label_range
        if low > high:
            raise ValueError(f"real_label_range must be (low, high) with low <= high, got "
                             f"{self.real_label_range}")
        if self.real_label_range != (1.0, 1.0) and self.loss not in (
                "non_saturating", "minimax"):
            raise ValueError(f"real_label_range smooths a cross-entropy target; the {self.loss} "
                             "loss has none (use loss=non_saturating or minimax)")
        _check_positive(self, "discriminator_steps", "generator_steps")
        _check_positive(self, "gradient_penalty_weight", "clip_value", "label_noise",
                        "label_swap_every", "input_noise", allow_zero=True)
        if (self.label_noise or self.label_swap_every) and self.loss != "least_squares":
            raise ValueError("label_noise and label_swap_every act on least-squares targets; "
                             f"the {self.loss} loss has none (use loss=least_squares)")



@dataclasses.dataclass(frozen=True, kw_only=True)
class VAELSGANPreset(VAEPreset, GANObjective):
    """The VAE-pretrained LSGAN (seed 000, after "Unbalanced GANs", Ham et al. 2020): a VAE
    trained first (``VAEPreset``'s fields, ``pretrain_epochs`` epochs), whose decoder then
    starts the generator of a least-squares GAN (``GANObjective``'s fields) against a smaller,
    fresh discriminator. ``vaegan-tf train`` runs both stages into one run directory (the VAE
    in ``pretrain/``).

    The generator is the decoder with its last transposed convolution replaced by one that
    keeps the width, batch norm, LeakyReLU and a 3×3 convolution to the image
    (``networks.autoencoder.conv_decoder(refined=True)``); everything before it starts from
    the VAE's weights.

    Args:
        pretrain_epochs: Epochs of the VAE stage (the seed's 5).
        discriminator_filters: Widths of the discriminator's stride-2 convolutions (the seed's
            32-64-128-256 at 64×64: the encoder's widths but the last).
        discriminator_units: Its hidden dense layer (the seed's 128).
    """

    family: ClassVar[str] = "vae-lsgan"
    networks: ClassVar[tuple[str, ...]] = ("encoder", "decoder", "generator",
                                           "discriminator")

    pretrain_epochs: int = 5
    discriminator_filters: tuple[int, ...] = (32, 64, 128, 256)
    discriminator_units: int = 128

    def __post_init__(self) -> None:
        VAEPreset.__post_init__(self)
        GANObjective.__post_init__(self)
        _check_positive(self, "pretrain_epochs", "discriminator_filters",
                        "discriminator_units")
        if self.discriminator_steps != 1:
            # The two stages read one data pipeline, batched by batch_size.
            raise ValueError("The VAE-pretrained LSGAN takes one discriminator step per "
                             f"generator step, got discriminator_steps={self.discriminator_steps}")

    def pretraining(self) -> VAEPreset:
        """The VAE stage's preset: this preset's VAE fields (the encoder's and the decoder's
        optimizer entries among them), ``pretrain_epochs`` epochs, named ``NAME-pretrain``.

        Example:
            >>> get_preset("vae-lsgan-mnist").pretraining().epochs
            5
        """
        fields = {field.name: getattr(self, field.name)
                  for field in dataclasses.fields(VAEPreset)}
        return VAEPreset(**fields | {
            "name": f"{self.name}-pretrain", "epochs": self.pretrain_epochs,
            "network_optimizers": {name: settings for name, settings
                                   in self.network_optimizers.items()
                                   if name in VAEPreset.networks}})


@dataclasses.dataclass(frozen=True, kw_only=True)
class GANPreset(PresetBase, GANObjective):
    """A GAN setup: DCGAN-style networks, an objective, and ``PresetBase``'s fields.

    The generator maps z (‖ the condition) through an optional dense layer to a small feature
    map, then doubles its size with stride-2 transposed convolutions up to ``image_shape``; the
    discriminator mirrors it with stride-2 convolutions and returns one score per image (a
    logit: no sigmoid). Widths double at each lower resolution from ``*_filters`` at the top,
    so 28×28 uses 7 → 14 → 28 and 64×64 uses 4 → 8 → 16 → 32 → 64.

    Args:
        generator_filters: Filters of the generator's last hidden layer (the top resolution).
        discriminator_filters: Filters of the discriminator's first convolution.
        dense_units: A hidden dense layer before the generator's feature map and after the
            discriminator's convolutions (InfoGAN's MNIST networks: 1024); 0 for none (DCGAN).
        discriminator_normalization: ``"batch_norm"``, ``"layer_norm"`` (WGAN-GP: the penalty
            is per sample, so no batch statistics in the critic) or ``"none"``.
        weight_init_stddev: Weights drawn from N(0, σ) (DCGAN: 0.02); 0 keeps Keras' defaults.
        num_classes: Class-conditional model on this many classes (one-hot labels ‖ z, and
            tiled as input channels of D); 0: unconditional.
        num_attributes: Conditional on an attribute vector of this length (CelebA: 40), fed
            like the one-hot class; 0: none. At most one of the two is set.
        spectral_norm: Compute every convolution and dense layer on the discriminator's
            score path with W / σ(W) (``layers.SpectralNormalization``, Miyato et al. 2018;
            one power iteration per training call).
        generator_activation: ``"relu"`` (DCGAN) or ``"leaky_relu"`` (the face GAN's
            improved model; slope ``leaky_relu_slope``) after the generator's hidden layers.
        discriminator_dropout: Dropout rate after each of the discriminator's LeakyReLUs
            (0: none; the face GAN's improved model: PyTorch's default 0.5).
        noise_scale: The generator multiplies z by this before its first layer (a
            ``Rescaling`` layer): z ~ N(0, s²I) in effect, while every sampling path still
            draws N(0, I). 1: none. (InfoGAN's code draws its noise from U(−1, 1), standard
            deviation 1/√3 ≈ 0.577, beside codes of size 1; ``infogan-plus-mnist`` uses
            0.1, as ClusterGAN's noise beside its one-hot code.)
    """

    family: ClassVar[str] = "gan"
    networks: ClassVar[tuple[str, ...]] = ("generator", "discriminator")

    generator_filters: int = 64
    discriminator_filters: int = 64
    dense_units: int = 0
    discriminator_normalization: str = "batch_norm"
    weight_init_stddev: float = 0.02
    num_classes: int = 0
    num_attributes: int = 0
    spectral_norm: bool = False
    generator_activation: GeneratorActivation = "relu"
    discriminator_dropout: float = 0.0
    noise_scale: float = 1.0

    def __post_init__(self) -> None:
        PresetBase.__post_init__(self)
        GANObjective.__post_init__(self)
        if not 0.0 <= self.discriminator_dropout < 1.0:
            raise ValueError(f"discriminator_dropout must be in [0, 1), "
                             f"got {self.discriminator_dropout}")
        if self.discriminator_normalization not in NORMALIZATIONS:
            raise ValueError(f"discriminator_normalization must be one of {NORMALIZATIONS}, "
                             f"got {self.discriminator_normalization!r}")
        if self.num_classes and self.num_attributes:
            raise ValueError("Set num_classes or num_attributes, not both")
        _check_positive(self, "generator_filters", "discriminator_filters", "noise_scale")
        _check_positive(self, "dense_units", "num_classes", "num_attributes",
                        "weight_init_stddev", allow_zero=True)
        if self.gradient_penalty_weight and self.discriminator_normalization == "batch_norm":
            raise ValueError("The gradient penalty is per sample: use "
                             "discriminator_normalization='layer_norm' or 'none', not batch_norm")

    @property
    def condition_dim(self) -> int:
        return self.num_classes or self.num_attributes

    @property
    def images_per_step(self) -> int:
        return self.batch_size * self.discriminator_steps


@dataclasses.dataclass(frozen=True, kw_only=True)
class InfoGANPreset(GANPreset):
    """InfoGAN (Chen et al. 2016): the GAN family's networks with latent codes c beside the
    noise z, and a Q head on the discriminator's trunk that predicts them back; both networks
    add ``λ · L_I`` (the codes' negative log-likelihood under Q) to their losses.

    Args:
        categorical_dim: Values of the one categorical code, Cat(K) (the paper's 10 on MNIST).
        continuous_dim: Continuous codes U(−1, 1) (the paper's 2).
        info_weight_categorical: λ of the categorical code's cross-entropy (the paper's 1).
        info_weight_continuous: λ of the continuous codes' Gaussian NLL (the paper: "smaller"
            for continuous codes; 0.1 here). Q predicts each code's mean; with unit variance the
            NLL is ½ (c − μ)² up to a constant.
        q_units: Width of the Q head's hidden layer (the paper's 128).
        q_trained_by_generator: Whether the generator's optimizer trains the Q head as well as
            the discriminator's (the paper maximises L_I over G and Q; its code,
            ``openai/InfoGAN``, puts Q in D's variables only: false).
    """

    family: ClassVar[str] = "infogan"

    categorical_dim: int = 10
    continuous_dim: int = 2
    info_weight_categorical: float = 1.0
    info_weight_continuous: float = 0.1
    q_units: int = 128
    q_trained_by_generator: bool = True

    def __post_init__(self) -> None:
        GANPreset.__post_init__(self)
        if self.num_classes or self.num_attributes:
            raise ValueError("InfoGAN learns its codes: set no num_classes or num_attributes")
        _check_positive(self, "categorical_dim", "q_units")
        _check_positive(self, "continuous_dim", "info_weight_categorical",
                        "info_weight_continuous", allow_zero=True)

    @property
    def code_dim(self) -> int:
        """The width of c: one-hot categorical plus continuous codes."""
        return self.categorical_dim + self.continuous_dim


_MNIST = VAEGANPreset(name="mnist", image_shape=(28, 28, 1), latent_dim=64)
_MNIST_PLUS = _MNIST.replace(name="mnist-plus", adam_beta_1=0.5)
_FACES = VAEGANPreset(
    name="faces", dataset="faces", image_shape=(64, 64, 3), latent_dim=2048,
    decoder_base_shape=(15, 15, 128), minibatch_kernels=16, discriminator_dropout=0.3,
    schedule=4, batch_size=64, grid_filename="face_at_epoch_{epoch:03d}.png",
    gif_filename="vaegan_face.gif",
)

# The GAN family. Networks: InfoGAN's MNIST G and D (dense 1024, 7x7x128 → 14x14x64 → 28x28)
# and DCGAN's 64x64 ones (4x4x512 → ... → 64x64x3); N(0, 0.02) weights; latent 100 (DCGAN).
_DCGAN_MNIST = GANPreset(
    name="dcgan-mnist", latent_dim=100, dense_units=1024, learning_rate=2e-4,
    adam_beta_1=0.5, batch_size=64, epochs=10, sample_every=1, generator_steps=2,
    gif_filename="samples.gif",
)
_DCGAN_FACES = _DCGAN_MNIST.replace(
    name="dcgan-faces", dataset="faces", image_shape=(64, 64, 3), dense_units=0, epochs=25,
    grid_filename="face_at_epoch_{epoch:03d}.png",
)
_GAN_VARIANTS: dict[str, dict[str, Any]] = {
    # Radford et al. 2016: Adam 2e-4, β1 0.5; 2 G steps per D step (the collection's best).
    "dcgan": {},
    # Mao et al. 2017: a = −1, b = 1, c = 0; the DCGAN optimizer, one G step.
    "lsgan": {"loss": "least_squares", "generator_steps": 1},
    # Arjovsky et al. 2017: clip 0.01, 5 critic steps, RMSProp 5e-5.
    "wgan": {"loss": "wasserstein", "clip_value": 0.01, "discriminator_steps": 5,
             "generator_steps": 1, "optimizer": "rmsprop", "learning_rate": 5e-5},
    # Gulrajani et al. 2017: λ 10, 5 critic steps, Adam(1e-4, β 0, 0.9), no batch norm in D.
    "wgan-gp": {"loss": "wasserstein", "gradient_penalty_weight": 10.0,
                "discriminator_steps": 5, "generator_steps": 1, "learning_rate": 1e-4,
                "adam_beta_1": 0.0, "adam_beta_2": 0.9,
                "discriminator_normalization": "layer_norm"},
    # Miyato et al. 2018 (SNGAN): spectral normalization in D, no batch norm there, the hinge
    # loss; the paper's setting C for its standard CNN: Adam 2e-4, β (0.5, 0.999), 1 D step.
    "sngan": {"loss": "hinge", "spectral_norm": True, "discriminator_normalization": "none",
              "generator_steps": 1},
}


# The face GAN seed (003): DCGAN's 64x64 networks, latent 100, Adam 2e-4 beta_1 0.5, batch 64,
# BCE with the non-saturating generator loss (PyTorch's DCGAN recipe; its README names the
# minimax loss), one G step; CelebA centre-cropped to 160 and resized to 64 (--center-crop
# 160). The improved model: dropout in D (nn.Dropout(): 0.5, after every LeakyReLU: where is
# not in the seed), LeakyReLU in G, real targets U(0.7, 1.2). The MNIST forms run the same
# recipe on DCGAN's 28x28 networks (conv only, no dense layer).
_FACE_GAN = _DCGAN_FACES.replace(name="facegan-faces", generator_steps=1)
_FACE_GAN_IMPROVED = {"discriminator_dropout": 0.5, "generator_activation": "leaky_relu",
                      "real_label_range": (0.7, 1.2)}
_FACE_GAN_PRESETS = {
    "facegan-faces": _FACE_GAN,
    "facegan-improved-faces": _FACE_GAN.replace(name="facegan-improved-faces",
                                                **_FACE_GAN_IMPROVED),
    "facegan-mnist": _DCGAN_MNIST.replace(name="facegan-mnist", dense_units=0,
                                          generator_steps=1),
    "facegan-improved-mnist": _DCGAN_MNIST.replace(name="facegan-improved-mnist",
                                                   dense_units=0, generator_steps=1,
                                                   **_FACE_GAN_IMPROVED),
}


def _gan_presets() -> dict[str, GANPreset]:
    """Every GAN variant on MNIST and faces, unconditional and conditional (``c`` prefix: a
    one-hot digit for MNIST, the 40 CelebA attributes for faces)."""
    presets = {}
    for variant, fields in _GAN_VARIANTS.items():
        for base, suffix, condition in ((_DCGAN_MNIST, "mnist", {"num_classes": 10}),
                                        (_DCGAN_FACES, "faces", {"num_attributes": 40})):
            presets[f"{variant}-{suffix}"] = base.replace(name=f"{variant}-{suffix}", **fields)
            presets[f"c{variant}-{suffix}"] = base.replace(
                name=f"c{variant}-{suffix}", **fields, **condition)
    return presets


# The VAE seed (000): latent 128, Adam 5e-3, batch 128, MSE + 0.00025 KL, PyTorch's LeakyReLU
# (slope 0.01), widths 32-64-128-256-512 at 64x64 (its layer table); on MNIST the first two
# widths (28 → 14 → 7), latent 64 as the MNIST VAE-GAN's, 10 epochs.
_VAE_MNIST = VAEPreset(
    name="vae-mnist", latent_dim=64, leaky_relu_slope=0.01, learning_rate=5e-3, batch_size=128,
    epochs=10, sample_every=1, gif_filename="samples.gif",
)
_VAE_FACES = _VAE_MNIST.replace(
    name="vae-faces", dataset="faces", image_shape=(64, 64, 3), latent_dim=128,
    encoder_filters=(32, 64, 128, 256, 512), epochs=5,
    grid_filename="face_at_epoch_{epoch:03d}.png",
)

# The VAE-pretrained LSGAN (seed 000): both stages on the VAE seed's recipe above (Adam 5e-3,
# batch 128, LeakyReLU 0.01), 5 VAE epochs, then an LSGAN with the seed's MSE to 0/1 targets
# (a = 0, b = c = 1; D's loss halved as the seed's), Gaussian label noise 0.1, the targets
# swapped every 16th D step, and instance noise of 0.1 on D's inputs (the seed names no σ).
# D: the seed's 32-64-128-256 + dense 128 at 64x64; on MNIST its first two widths (28 → 7).
_VAE_LSGAN = {"loss": "least_squares", "least_squares_targets": (0.0, 1.0, 1.0),
              "label_noise": 0.1, "label_swap_every": 16, "input_noise": 0.1}
_VAE_LSGAN_MNIST = VAELSGANPreset(**_VAE_MNIST.to_dict() | _VAE_LSGAN | {
    "name": "vae-lsgan-mnist", "discriminator_filters": (32, 64)})
_VAE_LSGAN_FACES = VAELSGANPreset(**_VAE_FACES.to_dict() | _VAE_LSGAN | {
    "name": "vae-lsgan-faces"})

# BEGAN (Berthelot et al. 2017): gamma 0.5, lambda_k 0.001, k_0 0, z and h of 64, Adam 1e-4
# (the paper's; beta_1 0.5 as the collection's), no batch norm (the paper's networks have
# none); the generator is the discriminator's decoder (the paper's shared architecture),
# LeakyReLU 0.2 for the paper's ELU (kept from the family); batch 64, 10 epochs on MNIST.
_BEGAN_MNIST = BEGANPreset(
    name="began-mnist", latent_dim=64, learning_rate=1e-4, adam_beta_1=0.5, batch_size=64,
    epochs=10, sample_every=1, batch_norm=False, encoder_filters=(64, 128),
    gif_filename="samples.gif",
)
_BEGAN_FACES = _BEGAN_MNIST.replace(
    name="began-faces", dataset="faces", image_shape=(64, 64, 3),
    encoder_filters=(64, 128, 256), epochs=25, grid_filename="face_at_epoch_{epoch:03d}.png",
)

# InfoGAN (Chen et al. 2016) on the GAN family's MNIST networks (which are the paper's): z of
# 62, Cat(10) and 2 continuous codes; 1 D step and 1 G step; Adam beta_1 0.5, the paper's
# rates: 2e-4 for D, 1e-3 for G (and Q through G's optimizer); batch 64. The paper's code
# (openai/InfoGAN, launchers/run_mnist_exp.py) used 128; measured here with 128 the code
# accuracy was lower (0.863 vs 0.896 at epoch 9, one seed each: docs/results.md).
_INFOGAN_MNIST = InfoGANPreset(
    name="infogan-mnist", latent_dim=62, dense_units=1024, learning_rate=2e-4, adam_beta_1=0.5,
    network_optimizers={"generator": {"learning_rate": 1e-3}},
    batch_size=64, epochs=10, sample_every=1, gif_filename="samples.gif",
)
_INFOGAN_FACES = _INFOGAN_MNIST.replace(
    name="infogan-faces", dataset="faces", image_shape=(64, 64, 3), dense_units=0, epochs=25,
    grid_filename="face_at_epoch_{epoch:03d}.png",
)

# The Larsen VAE-GAN (seed 002): the paper's code's objective (w 1e-6, D on real and prior
# samples weighted 1/2 each, the minimax decoder term, gate 0.68 ± 0.4), RMSProp 3e-4, batch 64,
# latent 128, the PyTorch port's networks. On MNIST at 28×28 (the port resized MNIST to 64):
# the same layers at a quarter of the widths (at full width a 28×28 image costs ~7 GFLOP per
# step, ~15 h per 10 epochs on this project's 2-core machine), the decoder 7×7 → 14 → 28 → 28,
# the convolutions "same"-padded (28 → 14 → 7 → 4); 10 epochs.
_LARSEN_FACES = LarsenPreset(
    name="larsen-faces", dataset="faces", image_shape=(64, 64, 3), latent_dim=128,
    equilibrium_margin=0.4, optimizer="rmsprop", learning_rate=3e-4, batch_size=64, epochs=25,
    sample_every=1, grid_filename="face_at_epoch_{epoch:03d}.png", gif_filename="samples.gif",
)
_LARSEN_MNIST = _LARSEN_FACES.replace(
    name="larsen-mnist", dataset="mnist", image_shape=(28, 28, 1), encoder_filters=(16, 32, 64),
    encoder_units=512, discriminator_filters=(8, 32, 64, 64), discriminator_units=128,
    decoder_base_shape=(7, 7, 64), decoder_filters=(64, 32, 8), decoder_strides=(2, 2, 1),
    epochs=10, grid_filename="image_at_epoch_{epoch:03d}.png",
)

PRESETS: dict[str, PresetBase] = {
    # NTUT VAE-GAN on MNIST (spec 2.1, 3.2-3.4, 3.7): latent 64, batch 100, 100 epochs.
    "mnist": _MNIST,
    # The improved MNIST preset, chosen by measurement (README "Scores"): the faithful networks
    # and losses with Adam beta_1 = 0.5 (the DCGAN setting) instead of Keras' 0.9. 10 epochs on
    # full MNIST: MNIST-FID 4.31 at epoch 9 vs 4.97 faithful, KL to uniform 0.0015 vs 0.0073.
    "mnist-plus": _MNIST_PLUS,
    # NTUT face VAE-GAN, face1 setup (spec 2.2, 3.5): 64x64x3, latent 2048, minibatch
    # discrimination (+16) and dropout in D, hard labels, schedule 4 (the face1 notebook's run).
    # Batch size is [U]: 64 (the README says a smaller batch fixed collapse).
    "faces": _FACES,
    # face2 setup: the same networks with soft and noisy discriminator labels (spec 3.5; the
    # ranges are [U]: the linked trick list's example, plus 5% flipped labels). The original ran
    # schedules 1-3 with it; 1 is the default.
    "faces-soft-labels": _FACES.replace(
        name="faces-soft-labels", real_label_range=(0.7, 1.2), fake_label_range=(0.0, 0.3),
        label_flip_probability=0.05, schedule=1,
    ),
    **_gan_presets(),
    # The improved DCGAN, chosen by measurement (docs/results.md, "Improved presets"): the
    # DCGAN recipe with a generator EMA of 0.999 whose batch-norm statistics are its own
    # (standing statistics over 10 000 samples). 10 epochs on full MNIST: MNIST-FID 2.37
    # (seed 0) and 2.17 (seed 1) at epoch 9 against DCGAN's 5.23, all ten digits.
    "dcgan-plus-mnist": _DCGAN_MNIST.replace(name="dcgan-plus-mnist", ema_decay=0.999,
                                             ema_standing_samples=10_000),
    # The improved VAE-GAN, chosen the same way: mnist-plus with the decoder's EMA of 0.999
    # and its standing statistics over 10 000 samples. 10 epochs on full MNIST: MNIST-FID
    # 1.89 (seed 0) and 1.91 (seed 1) at epoch 9 against mnist-plus's 4.30, all ten digits.
    "vaegan-plus-mnist": _MNIST_PLUS.replace(name="vaegan-plus-mnist", ema_decay=0.999,
                                             ema_standing_samples=10_000),
    **_FACE_GAN_PRESETS,
    "vae-mnist": _VAE_MNIST,
    "vae-faces": _VAE_FACES,
    "vae-lsgan-mnist": _VAE_LSGAN_MNIST,
    "vae-lsgan-faces": _VAE_LSGAN_FACES,
    "began-mnist": _BEGAN_MNIST,
    "began-faces": _BEGAN_FACES,
    "infogan-mnist": _INFOGAN_MNIST,
    # The improved InfoGAN, chosen by measurement (docs/results.md, "The improved InfoGAN"):
    # z scaled by 0.1 before the generator, as ClusterGAN's code draws its noise beside the
    # one-hot code (sudiptodip15/ClusterGAN, util.py: 0.10 · N(0, I)), so the categorical code
    # captures digit identity; the generator EMA with standing statistics (as the improved
    # DCGAN's) takes back the MNIST-FID the smaller noise costs.
    "infogan-plus-mnist": _INFOGAN_MNIST.replace(name="infogan-plus-mnist", noise_scale=0.1,
                                                 ema_decay=0.999, ema_standing_samples=10_000),
    "infogan-faces": _INFOGAN_FACES,
    "larsen-mnist": _LARSEN_MNIST,
    "larsen-faces": _LARSEN_FACES,
}


def _gan_tricks(preset: GANPreset) -> list[str]:
    """The face GAN's regularisers and the noise's scale a GAN preset sets, in a few words
    each."""
    low, high = preset.real_label_range
    return ([f"D dropout {preset.discriminator_dropout:g}"] * bool(preset.discriminator_dropout)
            + ["LeakyReLU in G"] * (preset.generator_activation == "leaky_relu")
            + [f"real targets U({low:g}, {high:g})"] * (preset.real_label_range != (1.0, 1.0))
            + [f"z × {preset.noise_scale:g}"] * (preset.noise_scale != 1))


def _objective(preset: PresetBase) -> str:
    """A preset's training recipe in a few words (its fields, not a description typed apart)."""
    if isinstance(preset, InfoGANPreset):
        return ", ".join([
            f"InfoGAN, {preset.loss.replace('_', '-')}", f"Cat({preset.categorical_dim}) + "
            f"{preset.continuous_dim} continuous codes", f"λ {preset.info_weight_categorical:g}"
            f" / {preset.info_weight_continuous:g}", *_gan_tricks(preset)])
    if isinstance(preset, GANPreset):
        extras = [f"clip {preset.clip_value:g}"] * bool(preset.clip_value) + [
            f"GP {preset.gradient_penalty_weight:g}"] * bool(preset.gradient_penalty_weight) + [
            "spectral norm in D"] * preset.spectral_norm
        condition = (f"{preset.num_classes} classes" if preset.num_classes else
                     f"{preset.num_attributes} attributes" if preset.num_attributes else "")
        return ", ".join([preset.loss.replace("_", "-"),
                          f"{preset.discriminator_steps} D : {preset.generator_steps} G",
                          *extras, *([condition] if condition else []), *_gan_tricks(preset)])
    if isinstance(preset, LarsenPreset):
        fakes = "reconstructions and prior" if preset.discriminate_reconstructions else "prior"
        return (f"Larsen VAE-GAN, w {preset.reconstruction_weight:g}, D on real vs {fakes} "
                f"samples, gate {preset.equilibrium:g} ± {preset.equilibrium_margin:g}")
    if isinstance(preset, VAELSGANPreset):
        a, b, c = preset.least_squares_targets
        return (f"VAE ({preset.pretrain_epochs} epochs) → LSGAN ({a:g}, {b:g}, {c:g}), label "
                f"noise {preset.label_noise:g}, swapped every {preset.label_swap_every}, input "
                f"noise {preset.input_noise:g}")
    if isinstance(preset, BEGANPreset):
        return f"BEGAN, L1 auto-encoder D, γ {preset.gamma:g}, λ_k {preset.lambda_k:g}"
    if isinstance(preset, VAEPreset):
        widths = "-".join(map(str, preset.encoder_filters))
        return f"VAE, MSE + {preset.kl_weight:g} KL, widths {widths}"
    labels = ("soft/noisy D labels" if preset.real_label_range != (1.0, 1.0) else "hard labels")
    extras = ([f"minibatch discrimination {preset.minibatch_kernels}"]
              if preset.minibatch_kernels else []) + (
        [f"equilibrium gate {preset.equilibrium_margin:g}"] if preset.equilibrium_margin else [])
    return ", ".join(["VAE-GAN", labels, f"schedule {preset.schedule}", *extras])


def _optimizer_text(settings: dict[str, Any]) -> str:
    """``adam 0.0002, β (0.5, 0.999)`` from ``optimizer_settings``' dict."""
    betas = (f", β ({settings['adam_beta_1']:g}, {settings['adam_beta_2']:g})"
             if settings["optimizer"] == "adam" else "")
    return f"{settings['optimizer']} {settings['learning_rate']:g}{betas}"


def presets_table() -> str:
    """Every registered preset as a Markdown table: what ``vaegan-tf presets`` prints and the
    documentation shows (made from the registry, so it cannot go stale)."""
    rows = ["| preset | family | data | image | latent | batch | optimizer | epochs | recipe |",
            "|---|---|---|---|---:|---:|---|---:|---|"]
    for name, preset in PRESETS.items():
        optimizer = "; ".join(
            [_optimizer_text(preset.optimizer_settings())] +
            [f"{network}: {_optimizer_text(preset.optimizer_settings(network))}"
             for network in preset.network_optimizers])
        image = "×".join(str(size) for size in preset.image_shape)
        rows.append(f"| `{name}` | {preset.family} | {preset.dataset} | {image} | "
                    f"{preset.latent_dim} | {preset.batch_size} | {optimizer} | "
                    f"{preset.epochs} | {_objective(preset)}{_averaging_text(preset)} |")
    return "\n".join(rows)


def _averaging_text(preset: PresetBase) -> str:
    if not preset.ema_decay:
        return ""
    standing = (f" with standing statistics ({preset.ema_standing_samples:,} samples)"
                if preset.ema_standing_samples else "")
    return f", generator EMA {preset.ema_decay:g}{standing}"


def get_preset(name: str, **overrides: Any) -> PresetBase:
    """Returns the named preset, with ``overrides`` applied.

    Example:
        >>> get_preset("mnist", conv_kernel_size=3).conv_kernel_size
        3
    """
    try:
        preset = PRESETS[name]
    except KeyError:
        raise ValueError(f"Unknown preset {name!r}; available: {sorted(PRESETS)}") from None
    return preset.replace(**overrides) if overrides else preset
