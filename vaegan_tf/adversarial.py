"""The base of every vaegan_tf model: named networks, one optimizer per network.

``AdversarialModel`` owns what every model of the family shares; a subclass says which networks
it has (``network_names``), builds them, and writes ``compute_losses`` and ``train_step``.

The protocol that callbacks and commands rely on (and nothing more):

- ``network_names``: the networks, each trained by its own optimizer with its own loss;
- ``loss_names``: ``{name}_loss`` for each network (epoch logs, schedules, the NaN guard);
- ``optimizer_of(name)``: that network's optimizer;
- ``latent_dim``, ``data_range``: the prior's size and the pixel range of data and samples;
- ``condition_dim`` (0: unconditional) and ``num_classes`` (> 0: the condition is a one-hot
  class label; 0 with ``condition_dim > 0``: an attribute vector);
- ``generate(latents, conditions=None)`` and ``sample(n, seed=None, conditions=None)``;
- ``can_encode``: whether ``encode(images)`` exists (the VAE-GAN's encoder);
- ``categorical_dim`` (> 0: a categorical latent code of that many values, InfoGAN's, which
  ``sample(n, conditions=values)`` sets; scored as ``code_accuracy``);
- under a ``tf.distribute`` strategy (built and compiled in its scope), ``replica_draw``
  for every random draw of a train step and ``apply_gradients`` (or ``gradient_scale``) for
  every gradient, so a step on R replicas equals the step on one device;
- ``sampling_networks``: the networks that sampling, reconstruction and scoring use (what a
  run keeps of its best epoch); the others (the discriminator) only train;
- ``averaged_network``: the network an exponential moving average can follow (the generator
  or decoder); ``network(name, training)`` gives the one a computation uses.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, ClassVar

import keras
import tensorflow as tf
from keras import ops

from vaegan_tf import private_api
from vaegan_tf.data.pipeline import (
    LABEL_CHECK,
    RANGE_CHECK,
    check_labels,
    check_training_images,
    checked_batches,
)
from vaegan_tf.fast_paths import for_this_process, portable_config
from vaegan_tf.losses import Tensor


def replicas_in_sync() -> tuple[int, Any]:
    """(replicas that run this step together, this replica's index): (1, 0) outside a
    ``tf.distribute`` strategy or in its cross-replica context."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def apply_if(optimizer: keras.optimizers.Optimizer, pairs: list, condition: tf.Tensor) -> None:
    """``optimizer.apply_gradients(pairs)`` where ``condition`` (a boolean tensor, the same on
    every replica) holds. Under a strategy the condition is taken in the cross-replica
    context: a ``tf.cond`` branch inside a replica cannot hold the optimizer's all-reduce
    (Keras' ``LossScaleOptimizer`` does the same)."""
    replicas, _ = replicas_in_sync()
    if replicas == 1:
        tf.cond(condition, lambda: _applied(optimizer, pairs), lambda: tf.constant(False))
        return

    def decide(distribution: tf.distribute.Strategy, condition: Any, pairs: list) -> None:
        def apply() -> None:
            distribution.extended.call_for_each_replica(optimizer.apply_gradients,
                                                        args=(pairs,))

        first = distribution.experimental_local_results(condition)[0]
        ops.cond(first, apply, lambda: None)

    tf.distribute.get_replica_context().merge_call(decide, args=(condition, pairs))


def _applied(optimizer: keras.optimizers.Optimizer, pairs: list) -> tf.Tensor:
    """One optimizer step, as a ``tf.cond`` branch (both branches return a boolean)."""
    optimizer.apply_gradients(pairs)
    return tf.constant(True)


def float32(outputs: Any) -> Any:
    """A network's outputs (a tensor or a list) in float32: losses and scores are float32
    also when the networks compute in float16 or bfloat16 (a no-op in float32)."""
    return tf.nest.map_structure(lambda tensor: ops.cast(tensor, "float32"), outputs)


def after_all(gradients: Any) -> contextlib.AbstractContextManager:
    """A context whose ops (the weight updates) run only after every tensor of ``gradients``
    is computed.

    In a traced train step nothing else orders them: TensorFlow may run an update while a
    backward pass that reads the same weights is still running, and then gradients (of this
    network or another) silently use half-updated weights. Measured on the real-width MNIST
    VAE-GAN with one thread and oneDNN off: without this, 10 of 10 first steps used other
    gradients than the forward pass gives, in 3 different ways between fresh models (the
    decoder's updates raced with the backward passes through it), so two identical runs
    drifted apart (issue 13, ``--deterministic``).
    """
    return tf.control_dependencies([g for g in tf.nest.flatten(gradients) if g is not None])


def after_updates(variables: list) -> contextlib.AbstractContextManager:
    """A context whose ops run only after the updates of ``variables`` made so far in the
    traced step (each variable is read once more; TensorFlow orders a read after the earlier
    writes to the same variable)."""
    return tf.control_dependencies([tf.convert_to_tensor(variable) for variable in variables])


def _data_error(error: tf.errors.InvalidArgumentError, data_range: tuple[float, float],
                num_classes: int) -> Exception:
    """``checked_batches``' failed assertion as the ``ValueError`` it stands for (any other
    error as it is)."""
    found = re.search(rf"{RANGE_CHECK}\] \[(\S+)\] \[(\S+)\]", error.message)
    if found is not None:
        return ValueError(
            f"a training batch spans [{found[1]}, {found[2]}]: outside the model's data "
            f"range {data_range}, or [0, 1] data for a [-1, 1] model; scale the images first "
            "(data.pipeline.scale_images, or x * 2 - 1)")
    found = re.search(rf"{LABEL_CHECK}\] \[(\S+)\] \[(\S+)\] \[(\S+)\]", error.message)
    if found is not None:
        return ValueError(
            f"a training batch holds {found[1]} label(s) that are not class indices "
            f"0-{num_classes - 1} (its labels span {float(found[2]):g} to "
            f"{float(found[3]):g})")
    return error


class AdversarialModel(keras.Model):
    """A Keras model made of named networks, each with its own optimizer and loss tracker.

    Subclasses set ``network_names`` and pass the networks by those names; they implement
    ``compute_losses(images, conditions, training)`` (every network's loss, by metric name) and
    ``train_step``. The base provides ``compile`` with one optimizer per network (built
    in ``compile``, so ``fit`` can trace the step), their serialisation, the loss trackers, a
    ``test_step`` that updates nothing, label handling for conditional models, and sampling.

    Args:
        networks: Name → network, one per ``network_names``.
        latent_dim: Size of the prior N(0, I) the generator decodes.
        data_range: (low, high) pixel range of the data and of generated images.
        condition_dim: Width of the conditioning vector (0: unconditional).
        num_classes: With ``condition_dim``: the labels are class indices one-hot encoded to
            ``num_classes`` (= ``condition_dim``) values; 0: they are attribute vectors.
        extra_metric_names: More per-step values to track besides the losses.
        seed: Seed of the model's noise draws during training.
        state: Numbers the model keeps between steps that are neither weights nor optimizer
            slots (BEGAN's k_t), by name with their initial values:
            ``self.model_state[name]``, a non-trainable variable saved in ``model.keras`` with
            the weights, so loading and resuming (``RunBackup``) restore it.
        ema_decay: Keep an exponential moving average of ``averaged_network``'s weights
            (0: none): after each of its optimizer steps ``w̄ ← d·w̄ + (1 − d)·w`` with
            ``d = min(ema_decay, (1 + n) / (10 + n))`` after n updates (the warm-up of
            TensorFlow's ``ExponentialMovingAverage``), its batch-norm statistics copied.
            Samples, reconstructions, scores and saved network files then come from the
            average (``network(name, training=False)``); train and test steps use the live
            network. The average is a copy of the network in ``model.keras``, the count
            ``model_state["ema_updates"]``.
        ema_standing_samples: With ``ema_decay``, recompute the average's batch-norm
            statistics from its own outputs instead of copying the live network's (standing
            statistics, Brock et al. 2019): before the average samples after it moved, it runs
            in training mode on this many prior draws (fixed seeds, batches of
            ``STANDING_BATCH``) and each statistic becomes the mean of the batches' (0: copy).
            The averaged weights make other activations than the live ones, so the copied
            statistics do not fit them. The average must have batch normalization.
    """

    network_names: ClassVar[tuple[str, ...]] = ()
    sampling_networks: ClassVar[tuple[str, ...]] = ()
    averaged_network: ClassVar[str] = ""
    can_encode: ClassVar[bool] = False
    categorical_dim: int = 0

    def __init__(
        self,
        networks: dict[str, keras.Model],
        latent_dim: int,
        data_range: tuple[float, float] = (-1.0, 1.0),
        condition_dim: int = 0,
        num_classes: int = 0,
        extra_metric_names: tuple[str, ...] = (),
        seed: int | None = None,
        state: dict[str, float] | None = None,
        ema_decay: float = 0.0,
        ema_standing_samples: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if set(networks) != set(self.network_names):
            raise ValueError(
                f"{type(self).__name__} needs the networks {self.network_names}, "
                f"got {sorted(networks)}")
        if num_classes and num_classes != condition_dim:
            raise ValueError(f"num_classes ({num_classes}) must equal condition_dim "
                             f"({condition_dim}) for one-hot class conditioning")
        for name in self.network_names:
            setattr(self, name, networks[name])
            setattr(self, f"{name}_optimizer", None)
        self.latent_dim = int(latent_dim)
        self.data_range = (float(data_range[0]), float(data_range[1]))
        self.condition_dim = int(condition_dim)
        self.num_classes = int(num_classes)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_decay = float(ema_decay)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        if self.ema_decay and not self.averaged_network:
            raise ValueError(f"{type(self).__name__} has no network to average (ema_decay)")
        self.average = (_averaged_copy(networks[self.averaged_network]) if self.ema_decay
                        else None)
        self.ema_standing_samples = int(ema_standing_samples)
        self._check_standing_statistics()
        self._standing_pass: _TrainingModeCall | None = None
        state = {**(state or {}), **({"ema_updates": 0.0} if self.ema_decay else {}),
                 # ema_updates when the standing statistics were last computed (-1: never)
                 **({"ema_standing_at": -1.0} if self.ema_standing_samples else {})}
        self.model_state = {
            name: keras.Variable(float(value), name=name, trainable=False, dtype="float32",
                                 aggregation="only_first_replica")
            for name, value in state.items()}
        self._in_step = False
        self.loss_trackers = {name: keras.metrics.Mean(name=name)
                              for name in (*self.loss_names, *extra_metric_names)}
        self._compile_kwargs: dict[str, Any] = {}
        self.built = True

    # ----------------------------------------------------------------------------- protocol

    @property
    def loss_names(self) -> tuple[str, ...]:
        """``{name}_loss`` for every network, in ``network_names`` order."""
        return tuple(f"{name}_loss" for name in self.network_names)

    @property
    def networks(self) -> dict[str, keras.Model]:
        """Name → network."""
        return {name: getattr(self, name) for name in self.network_names}

    def network(self, name: str, training: bool = False,
                refresh_statistics: bool = True) -> keras.Model:
        """The network ``name`` a computation uses: the average of ``averaged_network``
        (``ema_decay``) when sampling, the live network when ``training`` and in train and
        test steps (whose losses are the live networks'). With ``ema_standing_samples`` the
        average's statistics are recomputed first if it moved since the last time (unless
        ``refresh_statistics`` is False: weights are about to be loaded into it)."""
        if self.average is not None and name == self.averaged_network and not (
                training or self._in_step):
            if self._standing_pass is not None:
                return self._standing_pass
            # tf.convert_to_tensor reads a mirrored variable (under tf.distribute) too
            if refresh_statistics and self.ema_standing_samples and tf.executing_eagerly() and (
                    float(tf.convert_to_tensor(self.model_state["ema_standing_at"].value))
                    != float(tf.convert_to_tensor(self.model_state["ema_updates"].value))):
                self.refresh_standing_statistics()
            return self.average
        return getattr(self, name)

    def keep_standing_statistics(self) -> None:
        """Marks the average's batch-norm statistics as its own (loaded from a file written
        with them): no recomputation until the average moves again."""
        if "ema_standing_at" in self.model_state:
            self.model_state["ema_standing_at"].assign(self.model_state["ema_updates"])

    def optimizer_of(self, name: str) -> keras.optimizers.Optimizer:
        """The optimizer that trains network ``name`` (after ``compile``)."""
        if name not in self.network_names:
            raise KeyError(f"{type(self).__name__} has no network {name!r}; it has "
                           f"{self.network_names}")
        return getattr(self, f"{name}_optimizer")

    @property
    def conditional(self) -> bool:
        return self.condition_dim > 0

    def generate(self, latents: Tensor, conditions: Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        """Images in ``data_range`` from latent codes (and conditions, for conditional models).
        """
        raise NotImplementedError

    def sample(self, n: int, seed: int | None = None,
               conditions: Tensor | None = None) -> tf.Tensor:
        """Generates ``n`` images from prior draws N(0, I).

        With an integer ``seed`` the draws are reproducible; without one they come from the
        model's own generator. A conditional model needs ``conditions`` (labels or attribute
        vectors, ``n`` of them); without, class models cycle through the classes.
        """
        if conditions is not None:
            if not self.conditional:
                raise ValueError(f"{type(self).__name__} {self.name} is unconditional: it "
                                 "takes no conditions")
            if len(conditions) != n:
                raise ValueError(f"sample({n}) needs {n} conditions, got {len(conditions)}")
        codes = keras.random.normal(
            (n, self.latent_dim), seed=self.seed_generator if seed is None else seed)
        if self.conditional and conditions is None:
            if not self.num_classes:
                raise ValueError(f"{type(self).__name__} is conditioned on attribute vectors: "
                                 "pass conditions (n vectors of "
                                 f"{self.condition_dim} values)")
            conditions = ops.arange(n) % self.num_classes
        return self.generate(codes, self.condition_vectors(conditions))

    def condition_vectors(self, conditions: Tensor | None) -> tf.Tensor | None:
        """Labels as the networks' float condition vectors: class indices one-hot encoded,
        attribute vectors cast to float32; None for an unconditional model."""
        if not self.conditional:
            return None
        if conditions is None:
            raise ValueError(f"{type(self).__name__} is conditional: the data must yield "
                             "(images, labels)")
        if self.num_classes and len(ops.shape(conditions)) == 1:
            return ops.one_hot(ops.cast(conditions, "int32"), self.num_classes)
        return ops.cast(conditions, "float32")

    def unpack(self, data: Tensor | tuple) -> tuple[Tensor, tf.Tensor | None]:
        """``fit`` passes ``x``, ``(x, y)`` or ``(x, y, sample_weight)``: the images and, for
        conditional models, the condition vectors (labels are ignored otherwise)."""
        images = data[0] if isinstance(data, (tuple, list)) else data
        labels = data[1] if isinstance(data, (tuple, list)) and len(data) > 1 else None
        return images, self.condition_vectors(labels)

    # ----------------------------------------------------------------------------- compile

    def compile(self, **kwargs: Any) -> None:
        """Configures one optimizer per network: ``{name}_optimizer=`` for every name in
        ``network_names``; each updates only that network and is built here.

        Other keyword arguments go to ``keras.Model.compile`` (``jit_compile``,
        ``run_eagerly``, ``steps_per_execution``); ``optimizer``, ``loss`` and ``metrics`` are
        not accepted: the losses are the model's own.
        """
        not_allowed = sorted({"optimizer", "loss", "metrics"} & set(kwargs))
        expected = [f"{name}_optimizer" for name in self.network_names]
        missing = [key for key in expected if kwargs.get(key) is None]
        if not_allowed:
            raise TypeError(f"{type(self).__name__}.compile does not take {not_allowed}: pass "
                            f"{', '.join(expected)}")
        if missing:
            raise TypeError(f"{type(self).__name__}.compile needs {', '.join(expected)}; "
                            f"missing {missing}")
        optimizers = [kwargs.pop(key) for key in expected]
        if len({id(optimizer) for optimizer in optimizers}) != len(optimizers):
            raise ValueError("Each network needs its own optimizer instance")
        if self.uses_float16:  # Keras wraps only ``self.optimizer``: one scale per network
            optimizers = [optimizer if isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
                          else keras.optimizers.LossScaleOptimizer(optimizer)
                          for optimizer in optimizers]
        super().compile(optimizer=None, **kwargs)
        self._compile_kwargs = dict(kwargs)
        if tf.distribute.has_strategy():
            self._synchronize_batch_norm()
        for name, optimizer in zip(self.network_names, optimizers, strict=True):
            optimizer.build(self.optimizer_trained_variables(name))
            setattr(self, f"{name}_optimizer", optimizer)

    @property
    def uses_float16(self) -> bool:
        """Whether a network computes in float16 (a ``mixed_float16`` policy when it was
        built): then each network's optimizer is a ``LossScaleOptimizer``."""
        return any(layer.dtype_policy.compute_dtype == "float16"
                   for network in self.networks.values() for layer in network.layers)

    def _synchronize_batch_norm(self) -> None:
        """Under a strategy each replica sees a slice of the batch; batch norm then takes its
        statistics over the whole batch (all-reduced), as on one device."""
        for network in self.networks.values():
            for layer in private_api.nested_layers(network):
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.synchronized = True

    def optimizer_trained_variables(self, name: str) -> list[keras.Variable]:
        """The variables optimizer ``name`` updates: its network's trainable variables (a
        subclass may add an auxiliary head trained by that optimizer)."""
        return getattr(self, name).trainable_variables

    def get_compile_config(self) -> dict[str, Any] | None:
        if not self.compiled:
            return None
        config = {f"{name}_optimizer": portable_config(keras.saving.serialize_keras_object(
            self.optimizer_of(name))) for name in self.network_names}
        config.update(self._compile_kwargs)
        return config

    def compile_from_config(self, config: dict[str, Any]) -> None:
        config = dict(config)
        for name in self.network_names:
            key = f"{name}_optimizer"
            config[key] = keras.saving.deserialize_keras_object(for_this_process(config[key]))
        self.compile(**config)

    # ----------------------------------------------------------------------------- training

    def fit(self, x: Any = None, *args: Any, check_images: bool = True,
            **kwargs: Any) -> keras.callbacks.History:
        """``keras.Model.fit``, checking the data: integer images, an unbatched dataset, or
        values outside ``data_range`` (0-255 floats, [0, 1] images for a [-1, 1] model), and
        for a conditional model labels that are not its classes (integers 0 to
        ``num_classes - 1``) or attribute vectors of ``condition_dim`` values in [0, 1],
        raise ``ValueError`` instead of training on them: arrays before training, a
        dataset's batches as they are drawn (``data.pipeline.check_training_images``,
        ``check_labels`` and ``checked_batches``; ``check_images=False`` skips all)."""
        if not check_images:
            return super().fit(x, *args, **kwargs)
        check_training_images(x, self.data_range)
        labels = args[0] if args else kwargs.get("y")
        if self.conditional and labels is not None:
            check_labels(labels, self.num_classes, self.condition_dim, "fit's y")
        if isinstance(x, tf.data.Dataset):
            if self.conditional and not self.num_classes:
                spec = x.element_spec
                width = spec[1].shape[-1] if isinstance(spec, tuple) and len(spec) > 1 else None
                if width is not None and width != self.condition_dim:
                    raise ValueError(f"the dataset's labels have {width} values; the model "
                                     f"takes attribute vectors of {self.condition_dim}")
            x = checked_batches(x, self.data_range, self.num_classes)
        try:
            return super().fit(x, *args, **kwargs)
        except tf.errors.InvalidArgumentError as error:
            raise _data_error(error, self.data_range, self.num_classes) from None

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.loss_trackers.values())

    def compute_losses(self, images: Tensor, conditions: Tensor | None = None,
                       training: bool = False) -> dict[str, tf.Tensor]:
        """Every network's loss on one batch, by metric name (no update)."""
        raise NotImplementedError

    def test_step(self, data: Tensor | tuple) -> dict[str, tf.Tensor]:
        images, conditions = self.unpack(data)
        self._in_step = True  # while tracing: the live networks' losses, not the average's
        try:
            losses = self.compute_losses(images, conditions, training=False)
        finally:
            self._in_step = False
        # only what validation measures: no val_ copy of a training-only tracker (the gate's
        # update shares), which would read 0
        results = self._track(losses)
        return {name: results[name] for name in losses}

    def gradient_scale(self, name: str, loss: tf.Tensor) -> tf.Tensor | None:
        """The ``output_gradients`` of network ``name``'s gradient of ``loss``: the loss scale
        of its ``LossScaleOptimizer`` under mixed float16 (the backward pass then runs on
        scaled values, as with ``scale_loss`` inside the tape; the optimizer unscales, and
        skips a step whose gradients overflowed and halves the scale), times 1 / replicas
        under a strategy (the optimizers sum the replicas' gradients, as Keras does); None
        when both are 1."""
        scale = None
        optimizer = self.optimizer_of(name)
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            scale = ops.cast(optimizer.scale_loss(ops.ones_like(loss)), loss.dtype)
        replicas, _ = replicas_in_sync()
        if replicas > 1:
            share = ops.full_like(loss, 1.0 / replicas)
            scale = share if scale is None else scale * share
        return scale

    def replica_draw(self, draw: Any, shape: tuple) -> tf.Tensor:
        """``draw(shape)`` (a random draw from the model's generators), per replica: under a
        strategy of R replicas each draws the whole batch's R × ``shape[0]`` values with the
        same seed and keeps its own slice, so the replicas' draws differ and together equal
        the draw of one device on the whole batch."""
        replicas, replica = replicas_in_sync()
        if replicas == 1:
            return draw(shape)
        local = shape[0]
        everything = draw((local * replicas, *shape[1:]))
        begin = [replica * local] + [0] * (len(shape) - 1)
        return tf.slice(everything, begin, [local] + [-1] * (len(shape) - 1))

    def _normal(self, shape: tuple) -> tf.Tensor:
        """N(0, I) draws of ``shape`` from the model's own generator."""
        return keras.random.normal(shape, seed=self.seed_generator)

    def prior_noise(self, count: Any) -> tf.Tensor:
        """``count`` latent codes z ~ N(0, I) for a train step (``replica_draw``)."""
        return self.replica_draw(self._normal, (count, self.latent_dim))

    def apply_gradients(self, name: str, loss: tf.Tensor, tape: tf.GradientTape,
                        seed: tf.Tensor | None = None,
                        condition: tf.Tensor | None = None) -> None:
        """One optimizer step of network ``name`` on ``loss``, taken from ``tape`` (under a
        strategy: this replica's share, summed over replicas by the optimizer), after all of
        its gradients are computed.

        Args:
            seed: Ones shaped like ``loss``, made where the backward pass may start (every
                backward op depends on it; control inputs on the backward ops themselves
                break grappler's fused convolutions).
            condition: A boolean tensor: the step is taken only where it holds
                (``apply_if``).
        """
        variables = self.optimizer_trained_variables(name)
        scale = self.gradient_scale(name, loss)
        if seed is not None:
            scale = seed if scale is None else seed * scale
        gradients = tape.gradient(loss, variables, output_gradients=scale)
        pairs = list(zip(gradients, variables, strict=True))
        with after_all(gradients):
            if condition is None:
                self.optimizer_of(name).apply_gradients(pairs)
            else:
                apply_if(self.optimizer_of(name), pairs, condition)
        if self.average is not None and name == self.averaged_network:
            with after_updates(variables):
                self.update_average()

    def restart_average(self) -> None:
        """Sets the average of ``averaged_network`` (if kept) to the network's weights: after
        weights came into it from outside training (a pretrained decoder)."""
        if self.average is not None:
            live = getattr(self, self.averaged_network)
            for average, weight in zip(self.average.weights, live.weights, strict=True):
                average.assign(weight)
            if self.ema_standing_samples:  # statistics of other weights: recompute them
                self.model_state["ema_standing_at"].assign(-1.0)

    def _check_standing_statistics(self) -> None:
        if self.ema_standing_samples < 0:
            raise ValueError("ema_standing_samples must be >= 0, got "
                             f"{self.ema_standing_samples}")
        if self.ema_standing_samples:
            self._standing_layers()

    def _standing_layers(self) -> list[keras.layers.BatchNormalization]:
        """The average's batch-norm layers, whose statistics standing statistics replace."""
        if self.average is None:
            raise ValueError("standing statistics are the batch-norm statistics of the "
                             "generator's average: they need ema_decay > 0")
        layers = _batch_norm_layers(self.average)
        if not layers:
            raise ValueError(f"standing statistics: the {self.averaged_network} has no batch "
                             "normalization, so it has no statistics to recompute")
        return layers

    def refresh_standing_statistics(self, samples: int | None = None) -> None:
        """Recomputes the batch-norm moving statistics of the average from ``samples``
        (default ``ema_standing_samples``) ``sample`` draws with fixed seeds
        (``STANDING_SEED + batch``), the average in training mode: each statistic becomes the
        sample-weighted mean of the batches'. ``network`` calls it when the average moved
        since the last time; eager only. Any model with an average and batch norm can call it
        (until its next training step, which copies the live statistics again).

        Example:
            >>> model.refresh_standing_statistics(10_000)  # doctest: +SKIP
        """
        samples = self.ema_standing_samples if samples is None else int(samples)
        layers = self._standing_layers()
        if samples <= 0:
            raise ValueError(f"standing statistics need a positive sample count, got {samples}")
        momenta = [layer.momentum for layer in layers]
        try:
            with self._average_in_training_mode():
                seen = 0
                for index, start in enumerate(range(0, samples, STANDING_BATCH)):
                    count = min(STANDING_BATCH, samples - start)
                    for layer in layers:  # a running mean: batch k weighs count / (seen + count)
                        layer.momentum = seen / (seen + count)
                    self.sample(count, seed=STANDING_SEED + index)
                    seen += count
        finally:
            for layer, momentum in zip(layers, momenta, strict=True):
                layer.momentum = momentum
        self.keep_standing_statistics()

    @contextlib.contextmanager
    def _average_in_training_mode(self) -> Any:
        """Within it, sampling runs the average in training mode: its batch normalization
        uses (and accumulates) batch statistics."""
        # Keras' batch normalization uses batch statistics only in trainable layers
        self.average.trainable = True
        self._standing_pass = _TrainingModeCall(self.average)
        try:
            yield
        finally:
            self._standing_pass = None
            self.average.trainable = False

    def update_average(self) -> None:
        """Moves the average of ``averaged_network`` one step towards its weights (batch-norm
        statistics copied), counting the update in ``model_state["ema_updates"]``. Under a
        strategy the replicas hold the same weights: the update runs once, across them."""
        live = getattr(self, self.averaged_network)
        count = self.model_state["ema_updates"]
        decay = ops.minimum(self.ema_decay, (1.0 + count) / (10.0 + count))

        def move(average: Any, weight: Any, trainable: bool) -> Any:
            return average.assign(average * decay + weight * (1.0 - decay) if trainable
                                  else weight)

        pairs = list(zip(self.average.weights, live.weights, strict=True))
        replicas, _ = replicas_in_sync()
        if replicas > 1:
            def across(strategy: tf.distribute.Strategy) -> None:
                for average, weight in pairs:
                    strategy.extended.update(average.value, move, args=(weight.value,
                                                                        weight.trainable))
            tf.distribute.get_replica_context().merge_call(across)
        else:
            for average, weight in pairs:
                move(average, weight, weight.trainable)
        with after_updates(self.average.weights):
            count.assign_add(1.0)

    def apply_in_turn(self, steps: list[tuple[str, tf.Tensor, tf.GradientTape]],
                      conditions: dict[str, tf.Tensor] | None = None) -> None:
        """One optimizer step per ``(network, loss, tape)``, in that order, every gradient
        taken at the step's starting weights: each backward pass starts (its seed gradient is
        made) after the previous network's update, and each update waits for its own
        gradients. So a network is updated only when no backward pass still reads its weights,
        provided the backward passes that read them are its own and those listed before it
        (the VAE-GAN: encoder, decoder, D), and one network's gradients are alive at a time
        (the face model's peak memory). ``conditions``: network → a boolean tensor, that
        network's step taken only where it holds (``apply_if``)."""
        updated: list = []
        for name, loss, tape in steps:
            with after_updates(updated):
                seed = ops.ones_like(loss)
            self.apply_gradients(name, loss, tape, seed=seed,
                                 condition=(conditions or {}).get(name))
            updated = self.optimizer_trained_variables(name)

    def equilibrium_gate(self, real_cost: tf.Tensor, fake_cost: tf.Tensor, equilibrium: float,
                         margin: float) -> dict[str, tf.Tensor]:
        """The VAE/GAN code's equilibrium gate (Larsen et al.): whether the decoder and the
        discriminator may update this step, from D's real and fake costs: D not while one
        is below ``equilibrium − margin`` (it wins), the decoder not while one is above
        ``equilibrium + margin`` (D loses), both when neither would. Under a strategy the
        replicas decide on their mean costs (each branch holds all-reduces). ``{}`` when
        ``margin`` is 0 (no gate)."""
        if margin <= 0.0:
            return {}
        if replicas_in_sync()[0] > 1:
            real_cost, fake_cost = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.MEAN, [real_cost, fake_cost])
        low, high = equilibrium - margin, equilibrium + margin
        train_discriminator = ops.logical_not(
            ops.logical_or(real_cost < low, fake_cost < low))
        train_decoder = ops.logical_not(ops.logical_or(real_cost > high, fake_cost > high))
        neither = ops.logical_not(ops.logical_or(train_discriminator, train_decoder))
        return {
            "decoder": ops.logical_or(train_decoder, neither),
            "discriminator": ops.logical_or(train_discriminator, neither),
        }

    def _track(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        for name, value in values.items():
            self.loss_trackers[name].update_state(value)
        results = {name: tracker.result() for name, tracker in self.loss_trackers.items()}
        if private_api.reduces_logs_across_workers():
            # Keras reduces the logs of several workers along axis 0 (keras-team/keras#20585):
            # give them one, which the reduction averages away.
            return {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    # ----------------------------------------------------------------------------- config

    def get_config(self) -> dict[str, Any]:
        """The model's config; its networks' and optimizers' name Keras' classes, not the fast
        paths' (``fast_paths.portable_config``)."""
        config = super().get_config()
        config.update({name: portable_config(keras.saving.serialize_keras_object(network))
                       for name, network in self.networks.items()})
        config.update(data_range=list(self.data_range), seed=self.seed, ema_decay=self.ema_decay,
                      ema_standing_samples=self.ema_standing_samples)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AdversarialModel:
        config = dict(config)
        for name in cls.network_names:  # with the fast paths where the switch says so
            config[name] = keras.saving.deserialize_keras_object(for_this_process(config[name]))
        return cls(**config)


STANDING_BATCH = 500
"""Prior draws per batch of ``refresh_standing_statistics``."""
STANDING_SEED = 10_000
"""Seed of its first batch (the next batches: + 1, + 2, ...), apart from the scores' seeds."""


class _TrainingModeCall:
    """Calls ``network`` in training mode whatever ``training`` the caller passes: the
    average's batch normalization then uses, and accumulates, batch statistics."""

    def __init__(self, network: keras.Model) -> None:
        self.network = network

    def __call__(self, inputs: Any, training: bool = False) -> Any:
        del training
        return self.network(inputs, training=True)


def _batch_norm_layers(network: keras.Model) -> list[keras.layers.BatchNormalization]:
    """The batch-normalization layers of ``network``, nested models included."""
    found = []
    for layer in network.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found.extend(_batch_norm_layers(layer))
    return found


def _averaged_copy(network: keras.Model) -> keras.Model:
    """A non-trainable copy of ``network`` (same layers, ``NAME_average``) with its weights."""
    config = keras.saving.serialize_keras_object(network)
    config["config"]["name"] = f"{network.name}_average"
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(network.get_weights())
    copy.trainable = False
    return copy


class Autoencoding:
    """What a model with an ``encoder`` (image → mean ‖ log-variance of q(z|x)) and a
    ``decoder`` (code → image) shares: the VAE-GAN and the VAE. Mixed in before
    ``AdversarialModel``, whose ``seed_generator`` it draws from."""

    can_encode: ClassVar[bool] = True
    averaged_network: ClassVar[str] = "decoder"

    @staticmethod
    def code_width(encoder: keras.Model, decoder: keras.Model) -> int:
        """The latent size the decoder takes, checked against the encoder's output (mean ‖
        log-variance: twice as many values); ``ValueError`` if they do not fit."""
        latent_dim = int(decoder.input_shape[-1])
        if encoder.output_shape[-1] != 2 * latent_dim:
            raise ValueError(f"The encoder outputs {encoder.output_shape[-1]} values but the "
                             f"decoder takes a {latent_dim}-d code; the encoder must output "
                             f"mean ‖ log-variance ({2 * latent_dim} values)")
        return latent_dim

    def encode(self, images: Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns the mean and log-variance of q(z | images)."""
        statistics = float32(self.encoder(images, training=training))
        mean, log_var = ops.split(statistics, 2, axis=-1)
        return mean, log_var

    def generate(self, latents: Tensor, conditions: Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        """Decodes latent codes to images in ``data_range`` (these models are unconditional)."""
        return float32(self.network("decoder", training)(latents, training=training))

    def decode(self, codes: Tensor, training: bool = False) -> tf.Tensor:
        """Decodes latent codes to images in ``data_range``."""
        return self.generate(codes, training=training)

    def call(self, inputs: Tensor, training: bool = False) -> tf.Tensor:
        """Reconstructs images: Dec(μ + σ·e) when training, Dec(μ) otherwise."""
        mean, log_var = self.encode(inputs, training=training)
        if training:
            mean = mean + ops.exp(0.5 * log_var) * keras.random.normal(
                ops.shape(mean), seed=self.seed_generator
            )
        return self.decode(mean, training=training)
