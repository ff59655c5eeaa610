"""Command-line pieces shared by the training scripts: options, preset resolution, the report.

Building the parsers and checking the arguments imports no TensorFlow, so ``--help`` and usage
errors answer at once; a command calls ``start_tensorflow(args)`` once its arguments are good.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaegan_tf import fast_paths, startup
from vaegan_tf.data import LFW_MINI
from vaegan_tf.presets import (
    PRESETS,
    SCHEDULE_PRESETS,
    GANPreset,
    PresetBase,
    VAELSGANPreset,
    get_preset,
)

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

    from vaegan_tf.adversarial import AdversarialModel
    from vaegan_tf.training import RunFiles

FACE_PRESETS = tuple(sorted(name for name, preset in PRESETS.items()
                            if preset.family == "vaegan" and preset.dataset == "faces"))
"""The NTUT face VAE-GAN's presets (``scripts/train_faces.py``)."""


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    """Adds ``--verbose``: show TensorFlow's start-up notices (hidden by default)."""
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's C++ start-up notices (CUDA stub, oneDNN, CPU "
                        "features), hidden by default; warnings and errors always show")


def start_tensorflow(args: argparse.Namespace) -> None:
    """Imports TensorFlow for a command whose arguments are good (quietly unless
    ``args.verbose``); with ``--cpu-replicas N`` splits the CPU into N logical devices."""
    startup.import_tensorflow(getattr(args, "verbose", False))
    if getattr(args, "fast_paths", None) is not None:
        fast_paths.set_fast_paths(args.fast_paths)
    replicas = getattr(args, "cpu_replicas", None)
    if replicas:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)


def distribution_strategy(args: argparse.Namespace) -> Any:
    """The ``tf.distribute`` strategy ``--distribute`` asks for, or None: ``mirrored`` over
    every GPU, or over the logical CPUs of ``--cpu-replicas`` (none: the one CPU);
    ``multi-worker``: ``MultiWorkerMirroredStrategy`` over the cluster ``TF_CONFIG`` names."""
    if getattr(args, "distribute", None) is None:
        return None
    import tensorflow as tf

    if args.distribute == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()

    devices = [device.name for device in tf.config.list_logical_devices("GPU")] or [
        device.name for device in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def cluster_role(environ: Mapping[str, str] | None = None) -> tuple[int, bool]:
    """This process's task index in the cluster ``TF_CONFIG`` describes (TensorFlow's
    format), and whether it is the chief: the task of type ``chief``, or worker 0 of a
    cluster without one.

    Raises:
        ValueError: ``TF_CONFIG`` is not set, or is not a cluster with this task in it.
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG")
    if not text:
        raise ValueError("--distribute multi-worker reads the cluster from the TF_CONFIG "
                         "environment variable, which is not set (docs: Several devices)")
    try:
        config = json.loads(text)
        cluster, kind = config["cluster"], config["task"]["type"]
        index = int(config["task"]["index"])
        if not 0 <= index < len(cluster[kind]):
            raise IndexError(f"no {kind} {index} in the cluster")
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise ValueError(f"TF_CONFIG does not describe a cluster with this task in it "
                         f"({type(error).__name__}: {error}); expected e.g. "
                         '{"cluster": {"worker": ["host1:2222", "host2:2222"]}, '
                         '"task": {"type": "worker", "index": 0}}') from None
    return index, kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def worker_directory(chief_out: str | os.PathLike, index: int, fresh: bool) -> str:
    """A temporary run directory for a worker that is not the chief (TensorFlow's convention:
    only the chief writes the run directory, the others write to temporary directories they
    delete). Unless ``fresh`` (``--overwrite``), it starts with a copy of the chief's backup
    (its state, ``model.keras`` and ``config.json``; the history for a continued one), so a
    restarted cluster resumes every worker from the chief's last finished epoch; that needs the
    run directory on a filesystem every worker reads. The directory is named after the run
    and the worker (in the system's temporary folder), so a worker killed before it could
    delete it finds and replaces it when the cluster restarts."""
    import hashlib

    run = hashlib.sha256(str(Path(chief_out).resolve()).encode()).hexdigest()[:12]
    directory = Path(tempfile.gettempdir()) / f"vaegan-tf-worker-{run}-{index}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    resume_files = ("backup", "model.keras", "config.json", "history.json", "history.csv")
    for name in resume_files if not fresh else ():
        source = Path(chief_out) / name
        if source.is_dir():
            shutil.copytree(source, directory / name)
        elif source.is_file():
            shutil.copy2(source, directory / name)
    return str(directory)


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose errors are one line (``PROG: error: MESSAGE``, exit code 2)
    instead of the whole usage block above the message."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except ``None`` (those helps name their default)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def add_training_arguments(
    parser: argparse.ArgumentParser, preset: PresetBase, out: str | None
) -> None:
    """Adds the options every training script shares, with ``preset``'s values as defaults.

    ``--epochs``, ``--sample-every``, ``--batch-size``, ``--learning-rate`` and ``--schedule``
    default to the chosen preset's values (shown for ``preset``).
    """
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"epochs to train (default: the preset's, {preset.epochs} for "
                        f"{preset.name})")
    parser.add_argument(
        "--batch-size", type=int, default=None,
        help=f"batch size (default: the preset's, {preset.batch_size} for {preset.name})",
    )
    parser.add_argument(
        "--sample-every", type=int, default=None,
        help=f"write a 4x4 sample grid every N epochs (default: the preset's, "
        f"{preset.sample_every} for {preset.name})",
    )
    parser.add_argument(
        "--learning-rate", type=positive_float, default=None,
        help=f"initial learning rate of every network's optimizer, replacing the preset's "
        f"per-network rates (default: the preset's, {preset.learning_rate:g}; one network's: "
        "--set discriminator.learning_rate=4e-4)",
    )
    parser.add_argument(
        "--schedule", type=int, choices=sorted(SCHEDULE_PRESETS), default=None,
        help="NTUT learning-rate schedule, driven by each network's validation loss: "
        "1 constant, 2 plateau x0.85/10, 3 plateau x0.75/6, 4 the face1 code's rule "
        f"(default: the preset's, {preset.schedule} for {preset.name})",
    )
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed for weights, data and samples (0 to 2**32 - 1)")
    parser.add_argument("--out", default=out,
                        help="run directory" + ("" if out else " (default: runs/PRESET)"))
    parser.add_argument(
        "--fixed-latents", action="store_true",
        help="decode the same 16 latents for every grid (the original drew fresh ones)",
    )
    parser.add_argument(
        "--deterministic", action="store_true",
        help="TensorFlow op determinism on top of --seed: two runs give identical losses "
        "(slower; see the README)",
    )
    parser.add_argument(
        "--quiet", action="store_true",
        help="no progress bar: only one line per epoch (losses, rates, scores, ETA), for logs",
    )
    parser.add_argument(
        "--jit", nargs="?", const="on", default="auto", choices=JIT_CHOICES,
        help="compile the train step with XLA: 'auto' does where it measured faster (on CPUs: "
        "28x28 GAN-family models; not with --deterministic or mixed_bfloat16), and on GPUs as "
        "Keras does; '--jit' alone means on (docs/performance.md)",
    )
    parser.add_argument(
        "--fast-paths", choices=fast_paths.MODES, default=None,
        help="vaegan_tf's fast layers and Adam (same values as Keras', to float32 round-off): "
        "'auto' uses them on machines without GPUs, where they were measured; 'off' trains "
        "stock Keras layers and Adam. Saved files hold Keras' layers either way (default: "
        "$VAEGAN_TF_FAST_PATHS, else auto)",
    )
    parser.add_argument(
        "--best-by", default=None, metavar="KEY",
        help="the history key (lower is better) that picks the best checkpoint in RUN/best, "
        "e.g. mnist_fid; '' for none; checked before training (default: val_encoder_loss "
        "when validated, else mnist_fid when scored, else none)",
    )
    parser.add_argument(
        "--distribute", choices=("mirrored", "multi-worker"), default=None,
        help="mirrored: train on several devices of this machine with "
        "tf.distribute.MirroredStrategy (every GPU; without GPUs, the logical CPUs of "
        "--cpu-replicas); multi-worker: on the machines TF_CONFIG names "
        "(MultiWorkerMirroredStrategy; the chief writes --out, the others temporary "
        "directories). One step equals the one-device step on the same batch (docs: "
        "Several devices)",
    )
    parser.add_argument(
        "--cpu-replicas", type=positive_int, default=None, metavar="N",
        help="with --distribute and no GPU: split the CPU into N logical devices, one replica "
        "each (to try the distributed path; no faster than one device)",
    )
    parser.add_argument(
        "--precision", choices=PRECISIONS, default="float32",
        help="the networks' dtype policy: mixed_float16 gives each network's optimizer a "
        "LossScaleOptimizer; losses stay float32; results differ from float32 beyond round-off "
        "(README, Mixed precision: mixed_bfloat16 trains faster on CPUs with AMX, "
        "mixed_float16 slower on CPUs)",
    )
    parser.add_argument(
        "--keep-every", type=positive_int, default=None, metavar="N",
        help="also keep the sampling networks of every N-th epoch in RUN/epochs/epoch_XXXX "
        "(default: only the latest epoch's model.keras and the best epoch's networks)",
    )
    parser.add_argument(
        "--network-files", action="store_true",
        help="also write every network of the latest epoch to RUN/latest/NAME.keras, for "
        "keras.models.load_model",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE",
        help="override a preset field, e.g. --set output_activation=sigmoid, or one network's "
        "optimizer setting, e.g. --set discriminator.learning_rate=4e-4 (repeatable; fields "
        "in vaegan_tf/presets.py)",
    )


def check_writable(path: str | os.PathLike, option: str) -> Path:
    """``path`` if a file can be written there, else ``ValueError`` naming ``option``: checked
    before the work, not after. Tried for real (a temporary file in its folder, or opening the
    existing file for update): permission bits say little to root or on read-only mounts."""
    import tempfile

    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder, not a file")
    if not folder.is_dir():
        raise ValueError(f"{option} {path}: the folder {folder} does not exist")
    try:
        if path.exists():
            with open(path, "r+b"):
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
                pass
    except OSError as error:
        raise ValueError(f"{option} {path}: not writable ({error.strerror or error})") from None
    return path


def check_output(path: str | os.PathLike, option: str, own: tuple[str, ...] = ()) -> Path:
    """``path`` unless writing it would replace a file that a run directory's training writes
    (``run_directory.run_owned``: its history, config, grids, model, backups, ...); a command's
    own file there (``own``: names, e.g. ``number.gif`` for ``gif``) is allowed.

    Raises:
        ValueError: naming the run directory; pick another path.
    """
    from vaegan_tf.run_directory import run_owned

    path = Path(path)
    run = run_owned(path)
    if run is not None and path.name not in own:
        raise ValueError(f"{option} {path} is a file of the run directory {run} (its training "
                         "writes it); write elsewhere")
    return path


def seed(text: str) -> int:
    """An argparse type: a random seed, 0 to 2**32 - 1 (what NumPy's generators accept)."""
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**32 - 1, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: an integer above zero."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above zero."""
    value = float(text)
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def at_most(maximum: int, why: str) -> typing.Callable[[str], int]:
    """An argparse type: a positive integer up to ``maximum``, ``why`` saying why not more (a
    count of images a command makes in memory: refused up front, not by running out of it)."""

    def count(text: str) -> int:
        value = positive_int(text)
        if value > maximum:
            raise argparse.ArgumentTypeError(f"at most {maximum:,} ({why}), got {value:,}")
        return value

    return count


def add_face_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--data``, ``--preset`` (the face presets) and ``--center-crop``."""
    parser.add_argument(
        "--data", default=LFW_MINI,
        help="a folder of face images (searched recursively for JPEG/PNG/BMP/GIF), a TFDS "
        "data dir with a prepared celeb_a, or 'lfw-mini' (100 tiny LFW faces bundled with "
        "scikit-image: a smoke dataset)",
    )
    parser.add_argument(
        "--preset", choices=FACE_PRESETS, default="faces",
        help="faces: the face1 setup (hard labels, schedule 4); faces-soft-labels: the face2 "
        "setup (soft and noisy discriminator labels)",
    )
    add_center_crop_argument(parser)


def add_center_crop_argument(parser: argparse.ArgumentParser) -> None:
    """Adds ``--center-crop`` (faces: the central square cut before resizing)."""
    parser.add_argument(
        "--center-crop", type=positive_int, default=None,
        help="faces: cut the central square of this side before resizing, e.g. 160 for "
        "CelebA (default: no crop)",
    )


def resolve_preset(
    parser: argparse.ArgumentParser, args: argparse.Namespace, preset: str | PresetBase
) -> PresetBase:
    """``preset`` (a name or a preset) with ``--set``, ``--batch-size``, ``--learning-rate`` and
    ``--schedule`` applied; bad values end the program through ``parser.error`` (exit 2)."""
    for option in ("epochs", "batch_size", "sample_every", "learning_rate"):
        value = getattr(args, option)
        if value is not None and value <= 0:
            parser.error(f"--{option.replace('_', '-')} must be positive, got {value}")
    try:
        if not isinstance(preset, PresetBase):
            preset = get_preset(preset)
        preset = preset.with_assignments(args.set)
        overrides = {option: getattr(args, option) for option in
                     ("batch_size", "learning_rate", "schedule")
                     if getattr(args, option) is not None}
        if args.learning_rate is not None:
            overrides["network_optimizers"] = every_network_rate(args.set, preset)
        preset = preset.replace(**overrides)
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    # Run length and grid interval default to the preset's but stay out of it (and so out of
    # the resume fingerprint): a finished run continues with a larger --epochs.
    for option in ("epochs", "sample_every"):
        if getattr(args, option) is None:
            setattr(args, option, getattr(preset, option))
    return preset


def every_network_rate(assignments: list[str], preset: PresetBase) -> dict[str, Any]:
    """``preset.network_optimizers`` without learning rates, for ``--learning-rate`` (every
    network's rate); ``ValueError`` if ``assignments`` (``--set``) also gave one network's."""
    given = [item for item in assignments
             if item.partition("=")[0].strip().endswith(".learning_rate")]
    if given:
        raise ValueError(f"--learning-rate sets every network's rate; --set {given[0]} sets "
                         "one network's: give one of the two")
    return {network: rest for network, settings in preset.network_optimizers.items()
            if (rest := {key: value for key, value in settings.items()
                         if key != "learning_rate"})}


def load_model(path: str | Path) -> AdversarialModel:
    """A saved vaegan_tf model, loaded with Keras ``safe_mode`` (no code from the file runs: a
    file with a ``Lambda`` layer is refused with a ``ValueError``): a ``.keras`` file of the
    whole model (``RUN/model.keras``), a run directory (its ``model.keras``), or a networks
    folder (``RUN/best``, ``RUN/epochs/epoch_XXXX``, ``RUN/latest``: the model rebuilt around
    its network files, see ``callbacks.load_networks``).

    Raises:
        FileNotFoundError: no such file or folder.
        ValueError: not a ``.keras`` archive, one that holds something else than a vaegan_tf
            model (e.g. a single network), or a folder that holds neither.
    """
    import zipfile

    import keras

    from vaegan_tf.adversarial import AdversarialModel
    from vaegan_tf.callbacks.checkpoint import MODEL_JSON, load_networks

    path = Path(path)
    if path.is_dir():
        if (path / MODEL_JSON).is_file():
            return load_networks(path)
        if not (path / "model.keras").is_file():
            raise ValueError(f"{path} holds neither model.keras (a run directory) nor "
                             f"{MODEL_JSON} (a networks folder such as RUN/best)")
        path = path / "model.keras"
    if not path.is_file():
        raise FileNotFoundError(f"No such model file or folder: {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a .keras model file (not a zip archive)")
    try:
        model = keras.models.load_model(path, safe_mode=True)
    except (KeyError, TypeError, zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{path} is not a readable .keras model ({error})") from None
    if not isinstance(model, AdversarialModel):
        raise ValueError(
            f"{path} holds a single {type(model).__name__} network, not a vaegan_tf model; "
            f"give the run's model.keras or a networks folder ({path.parent}): a single "
            "network file is for keras.models.load_model")
    return model


JIT_CHOICES = ("auto", "on", "off")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def check_jit(jit: str | bool, distributed: bool = False, deterministic: bool = False) -> None:
    """Refuses ``--jit on`` where the step cannot be compiled as asked: under a
    ``tf.distribute`` strategy (XLA compiles each replica's step on one device) and with
    ``--deterministic`` (Keras would fall back to no XLA: not every XLA op is deterministic).

    Raises:
        ValueError: naming the conflict, or an unknown ``jit``.
    """
    if not isinstance(jit, bool) and jit not in JIT_CHOICES:
        raise ValueError(f"jit must be one of {JIT_CHOICES}, got {jit!r}")
    if jit is True or jit == "on":
        if distributed:
            raise ValueError("--jit on does not run under --distribute (XLA compiles each "
                             "replica's step on one device); use --jit off")
        if deterministic:
            raise ValueError("--jit on does not run with --deterministic (Keras turns XLA off "
                             "under op determinism); drop one of them")


def uses_xla(preset: PresetBase, jit: str | bool = "auto", distributed: bool = False,
             precision: str = "float32", deterministic: bool = False, gpu: bool = False,
             fast_paths: bool = True) -> bool:
    """Whether ``--jit`` (``"auto"``, ``"on"``, ``"off"`` or a bool) compiles ``preset``'s step
    with XLA (``check_jit``'s conflicts raise ``ValueError``).

    ``"auto"`` never does under a strategy (``distributed``) or ``deterministic``; on a
    machine with GPUs (``gpu``) it does what Keras' own ``jit_compile="auto"`` does there
    (XLA on: nothing was measured on GPUs). On CPUs it follows what was measured
    (``benchmarks/step_comparison.py``, ``docs/performance.md``), for images up to 32x32:
    the GAN family's step in float32 and float16; the VAE-GAN's (without the equilibrium
    gate: a ``tf.cond`` around each update, 5.8x slower under XLA) in float16, and in float32
    only with the ``fast_paths`` off: XLA ran Keras' layers 1.24x faster, but vaegan_tf's
    fast layers ran 1.05-1.07x faster without XLA. Under ``mixed_bfloat16`` never: oneDNN
    runs bfloat16 products on the CPU's bfloat16 units and XLA's CPU backend does not (657
    against 433 img/s on a CPU with AMX). Under ``mixed_float16`` XLA runs the MNIST VAE-GAN
    step at 0.83x the float32 one, TensorFlow's float16 kernels without XLA far slower."""
    check_jit(jit, distributed, deterministic)
    if isinstance(jit, bool) or jit != "auto":
        return jit is True or jit == "on"
    if distributed or deterministic:
        return False
    if gpu:
        return True
    small = preset.image_shape[0] <= 32
    gated = bool(getattr(preset, "equilibrium_margin", 0.0))
    if precision == "mixed_bfloat16":
        return False
    if precision == "mixed_float16" or not fast_paths:
        return small and not gated
    return small and isinstance(preset, GANPreset)


def model_for(args: argparse.Namespace, preset: PresetBase) -> AdversarialModel:
    """``compiled_model`` with the command line's ``--seed``, ``--jit``, ``--distribute``
    (``--cpu-replicas``), ``--precision`` and ``--deterministic``; records the compile mode
    chosen as ``args.xla`` and the fast paths' state as ``args.fast_paths_on`` (both go into
    ``config.json``)."""
    model = compiled_model(preset, args.seed, args.jit, distribution_strategy(args),
                           args.precision, getattr(args, "deterministic", False))
    args.xla = bool(model.jit_compile)
    args.fast_paths_on = fast_paths.fast_paths_enabled()
    return model


def compiled_model(preset: PresetBase, seed: int, jit: str | bool = "auto",
                   strategy: Any = None, precision: str = "float32",
                   deterministic: bool = False) -> AdversarialModel:
    """The preset's model, compiled with one optimizer per network as the preset says, with
    XLA as ``uses_xla(preset, jit, ...)`` decides on this machine; built and compiled in
    ``strategy``'s scope if one is given (a ``tf.distribute`` strategy; then without XLA,
    which fails there); its networks built under the Keras dtype policy ``precision`` (the
    global policy is restored afterwards) and with the fast paths where ``fast_paths`` says.

    Raises:
        MemoryError: the model, its optimizer state and gradients would not fit in this
            machine's memory (or building it ran out); the message names the sizes.
        ValueError: ``jit`` conflicts with ``strategy`` or ``deterministic``.
    """
    import tensorflow as tf

    from vaegan_tf.models import build_model, optimizers_for

    too_big = (f"preset {preset.name} with these fields (latent_dim={preset.latent_dim}, ...) "
               "does not fit in this machine's memory; lower the sizes")
    def scope() -> typing.ContextManager:
        return contextlib.nullcontext() if strategy is None else strategy.scope()

    replicas = 1 if strategy is None else strategy.num_replicas_in_sync
    xla = uses_xla(preset, jit, distributed=strategy is not None, precision=precision,
                   deterministic=deterministic,
                   gpu=bool(tf.config.list_logical_devices("GPU")),
                   fast_paths=fast_paths.fast_paths_enabled())
    if preset.batch_size % replicas:
        raise ValueError(f"batch size {preset.batch_size} does not split evenly over "
                         f"{replicas} replicas; pick a multiple of {replicas}")
    import keras

    global_policy = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy(precision)
        with scope():
            model = build_model(preset, seed=seed)
    except tf.errors.ResourceExhaustedError:
        raise MemoryError(too_big) from None
    finally:
        keras.mixed_precision.set_global_policy(global_policy)
    # Training holds the weights, two optimizer slots (Adam) and the gradients: 4 copies.
    needed = 4 * 4 * model.count_params()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if needed > memory:
        raise MemoryError(f"{too_big}: {model.count_params():,} parameters need about "
                          f"{needed / 2**30:.1f} GiB to train, the machine has "
                          f"{memory / 2**30:.1f} GiB")
    with scope():
        model.compile(**optimizers_for(model, preset), jit_compile=xla)
    return model


PRETRAIN_DIRECTORY = "pretrain"
"""The sub-folder of a VAE-pretrained LSGAN's run directory that holds its VAE stage's run."""


def prepare_run_directory(args: argparse.Namespace, preset: PresetBase) -> int | None:
    """Decides what training into ``args.out`` means, before any data is read: the exit code
    to stop with (0: this run is already complete; 2: the directory holds another run's or
    someone else's files), or None to train (resuming the run's backup if there is one).

    ``--overwrite`` starts afresh whatever the directory holds. Call it holding the
    directory's lock (``run_directory.run_lock``).
    """
    import json

    from vaegan_tf.run_directory import foreign_files
    from vaegan_tf.training import saved_state

    if args.overwrite:
        return None
    try:
        state = saved_state(args.out, preset, args.seed)
    except ValueError as error:
        print(f"error: {error} (or pass --overwrite)", file=sys.stderr)
        return 2
    if state is not None:
        if state["epoch"] >= args.epochs:
            print(f"{args.out} already holds {state['epoch']} trained epoch(s) of this run; "
                  "nothing to do (raise --epochs to continue it, or pick another --out)")
            return 0
        print(f"Resuming {args.out} after epoch {state['epoch']} of {args.epochs}")
        return None
    this_run = json.loads(json.dumps({"preset": preset.to_dict(), "seed": args.seed}))
    foreign = foreign_files(args.out, this_run)
    if PRETRAIN_DIRECTORY in foreign and isinstance(preset, VAELSGANPreset):
        stage_run = json.loads(json.dumps({"preset": preset.pretraining().to_dict(),
                                           "seed": args.seed}))
        if not foreign_files(Path(args.out) / PRETRAIN_DIRECTORY, stage_run):
            foreign.remove(PRETRAIN_DIRECTORY)  # this run's first stage, interrupted
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        print(f"error: --out {args.out} already holds files of another run or of yours "
              f"({shown}); pick another --out, or pass --overwrite to replace them",
              file=sys.stderr)
        return 2
    return None


def check_same_data(args: argparse.Namespace, source: str) -> None:
    """Refuses to resume the run in ``args.out`` on other data than it trained on: another
    data source (``source``, as ``commands.train.load_data`` describes it) or another
    ``--limit`` than its ``config.json`` records, unless ``args.allow_other_data``. A fresh
    run (no backup, or ``--overwrite``) is not checked.

    Raises:
        ValueError: naming both sources.
    """
    import json

    from vaegan_tf.callbacks import RunBackup
    from vaegan_tf.training import BACKUP

    if args.overwrite or getattr(args, "allow_other_data", False) or RunBackup.read_state(
            Path(args.out) / BACKUP) is None:
        return
    try:
        recorded = json.loads((Path(args.out) / "config.json").read_text())["run"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # no record of what it trained on: nothing to compare with
    for key, now, option in (("data", source, "--data"), ("limit", args.limit, "--limit")):
        if key in recorded and recorded[key] != now:
            raise ValueError(
                f"{args.out} trained on {option} {recorded[key]}, not {now}: resuming would "
                "mix both in one history; give the same data, use another --out, or pass "
                "--allow-other-data if the change is meant")


def train_and_report(
    args: argparse.Namespace,
    preset: PresetBase,
    train_data: tf.data.Dataset,
    validation_data: tf.data.Dataset | None,
    script: str,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    model: AdversarialModel | None = None,
) -> int:
    """Trains ``model`` (by default the preset's, built and compiled here) into ``args.out``
    (resuming its backup unless ``--overwrite``), prints the report. Call
    ``prepare_run_directory`` first."""
    from vaegan_tf.callbacks import BackupError, NonFiniteLossError
    from vaegan_tf.training import RunSetupError, train

    try:
        if model is None:
            model = model_for(args, preset)
    except (MemoryError, ValueError) as error:  # too big; shapes the networks cannot make
        print(f"error: {error}", file=sys.stderr)
        return 2
    started = time.time()
    try:
        history, files = train(
            model, train_data, args.out, preset, epochs=args.epochs,
            validation_data=validation_data, sample_every=args.sample_every, seed=args.seed,
            fixed_latents=args.fixed_latents, schedule=preset.schedule,
            run_config={"script": script, "argv": getattr(args, "argv", sys.argv[1:]),
                        **vars(args) | {"preset": preset.name}},
            extra_callbacks=extra_callbacks,
            verbose=0 if args.quiet else "auto",
            resume=not args.overwrite,
            best_by="auto" if args.best_by is None else args.best_by or None,
            keep_every=args.keep_every or 0, network_files=args.network_files,
        )
    except (RunSetupError, BackupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except NonFiniteLossError as error:
        kept = Path(args.out) / "model.keras"
        print(f"error: {error}; training stopped. The last good checkpoint "
              f"({'epoch ' + str(error.epoch - 1) if error.epoch else 'none yet'}) is "
              f"{kept if kept.exists() else 'not there'}", file=sys.stderr)
        return 1
    print_report(history, files, len(history.epoch) - files.resumed_from,
                 (time.time() - started) / 60)
    if files.interrupted:
        print(f"Interrupted by Ctrl-C in epoch {len(history.epoch)}: model.keras holds the "
              f"partial epoch; the backup holds the {len(history.epoch) - 1} finished "
              "epoch(s). Run the same command again (or vaegan-tf train --resume "
              f"{getattr(args, 'resume_directory', files.directory)}) to continue.",
              file=sys.stderr)
        return 130
    return 0


def print_report(
    history: keras.callbacks.History, files: RunFiles, epochs: int, minutes: float
) -> None:
    """Prints the last epoch's numbers and where the run's files are."""
    last = {key: values[-1] for key, values in history.history.items()}
    print(f"\nTrained {epochs} epoch(s) in {minutes:.1f} min. Last epoch:")
    for key in sorted(last):
        print(f"  {key:32s} {last[key]:.6g}")
    print(f"\nRun directory: {files.directory}")
    example = files.grids[-1] if files.grids else "(none: fewer epochs than --sample-every)"
    print(f"  sample grids:  {len(files.grids)} file(s), e.g. {example}")
    print(f"  GIF:           {files.gif or '(none)'}")
    print(f"  history:       {files.history_csv}, {files.history_json}")
    print(f"  curves:        {files.loss_plot}, {files.learning_rate_plot}")
    print(f"  TensorBoard:   tensorboard --logdir {files.tensorboard}")
    print(f"  model:         {files.model or '(not saved)'}  (the latest epoch, with its "
          "optimizers; keras.models.load_model)")
    print(f"  best:          {files.best or '(none)'}" + ("  (its sampling networks; "
          f"--model {files.best} in sample, evaluate, ...)" if files.best else ""))
    print(f"  config:        {files.config}")
    sys.stdout.flush()
