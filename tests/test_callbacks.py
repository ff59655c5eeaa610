"""Sample grids, progress GIFs (spec 6) and the TensorBoard layout (spec 4.2)."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from vaegan_tf import adam_optimizers, build_vaegan
from vaegan_tf.callbacks import (
    GifRenderer,
    LatestCheckpoint,
    LearningRateLogger,
    MnistQuality,
    RunBackup,
    RunHistory,
    SampleGrid,
    TensorBoardLogger,
    render_gif,
    save_atomically,
    select_gif_frames,
)
from vaegan_tf.plotting import save_image_grid


def test_gif_frame_selection_matches_the_original_for_twenty_grids():
    frames = select_gif_frames(20)
    assert frames == [0, 1, 2, 4, 6, 8, 11, 15, 19, 19]
    assert [4 + 5 * index for index in frames] == [4, 9, 14, 24, 34, 44, 59, 79, 99, 99]
    assert select_gif_frames(1) == [0, 0]
    assert select_gif_frames(0) == []


def gif_frames(path):
    with Image.open(path) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append((np.asarray(gif.convert("RGB")), gif.info["duration"]))
        return frames, gif.info.get("loop")


def test_render_gif_writes_the_selected_grids_at_100_ms_and_loops(tmp_path):
    levels = [10 * index for index in range(20)]  # grid i is a flat gray of level 10·i
    for index, level in enumerate(levels):
        Image.new("RGBA", (288, 288), (level, level, level, 255)).save(
            tmp_path / f"image_at_epoch_{4 + 5 * index:03d}.png")
    path = render_gif(tmp_path, tmp_path / "number.gif")
    frames, loop = gif_frames(path)
    assert len(frames) == 10
    assert [duration for _, duration in frames] == [100] * 10
    assert loop == 0  # forever
    shown = [int(pixels[0, 0, 0]) for pixels, _ in frames]
    assert shown == [levels[index] for index in select_gif_frames(20)]
    assert all(pixels.shape == (288, 288, 3) for pixels, _ in frames)
    assert not list(tmp_path.glob("*.partial.gif"))


def test_render_gif_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="No grid images"):
        render_gif(tmp_path, tmp_path / "x.gif")
    with pytest.raises(FileNotFoundError, match="No such folder"):
        render_gif(tmp_path / "missing", tmp_path / "x.gif")


def test_gif_renderer_without_grids_warns_and_writes_nothing(tmp_path):
    renderer = GifRenderer(tmp_path)
    with pytest.warns(UserWarning, match="no GIF written"):
        renderer.on_train_end()
    assert renderer.path is None and not list(tmp_path.iterdir())


def test_save_image_grid_is_a_288_square_rgba_png_in_gray(tmp_path):
    images = np.linspace(-1, 1, 16 * 28 * 28).reshape(16, 28, 28, 1)
    path = save_image_grid(images, tmp_path / "grid.png")
    with Image.open(path) as image:
        assert image.size == (288, 288) and image.mode == "RGBA"
        pixels = np.asarray(image)
    assert np.array_equal(pixels[..., 0], pixels[..., 1])  # gray colormap
    assert pixels[..., 0].max() > 200 and pixels[..., 0].min() < 10  # white digits on black


class DecoderStub:
    """Just what SampleGrid needs from a model (an unconditional one); generate maps codes to a
    brightness."""

    latent_dim = 3
    data_range = (-1.0, 1.0)
    num_classes = condition_dim = 0

    def generate(self, codes, conditions=None):
        assert conditions is None
        return np.tanh(codes[:, :1, None, None]) * np.ones((1, 28, 28, 1), "float32")

    def condition_vectors(self, conditions):
        return conditions


def run_grid_epochs(callback, epochs):
    callback.set_model(DecoderStub())
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_end(epoch)


def test_sample_grid_writes_every_fifth_epoch_with_the_original_names(tmp_path):
    grids = SampleGrid(tmp_path, every=5)
    run_grid_epochs(grids, 12)
    assert [path.name for path in grids.paths] == ["image_at_epoch_004.png",
                                                   "image_at_epoch_009.png"]
    assert grids.last_epoch == 9 and grids.last_images.shape == (16, 28, 28, 1)
    assert sorted(path.name for path in tmp_path.iterdir()) == [p.name for p in grids.paths]
    assert grids.glob_pattern == "image_at_epoch_*.png"


@pytest.mark.parametrize("fixed", [True, False])
def test_sample_grid_fixed_latents_repeat_and_fresh_latents_do_not(tmp_path, fixed):
    grids = SampleGrid(tmp_path, every=1, fixed_latents=fixed, seed=0)
    grids.set_model(DecoderStub())
    grids.on_train_begin()
    grids.on_epoch_end(0)
    first = grids.last_images
    grids.on_epoch_end(1)
    assert np.array_equal(first, grids.last_images) == fixed


def read_events(directory):
    values = {}
    for path in directory.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                values[(value.tag, event.step)] = tf.make_ndarray(value.tensor)
    return values


def test_tensorboard_layout_values_and_images(tmp_path):
    model = build_vaegan("mnist", seed=0)
    model.compile(**adam_optimizers(2.5e-4))
    batch = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(batch).batch(4)
    grids = SampleGrid(tmp_path / "grids", every=1)
    logger = TensorBoardLogger(tmp_path / "logs", samples=grids)
    history = model.fit(dataset, validation_data=dataset, epochs=2, verbose=0, shuffle=False,
                        callbacks=[LearningRateLogger(), logger, grids])
    train = read_events(tmp_path / "logs/scalars/train")
    validation = read_events(tmp_path / "logs/scalars/validation")
    for name in ("encoder", "decoder", "discriminator"):
        for epoch in (0, 1):
            assert float(train[(f"{name} loss", epoch)]) == pytest.approx(
                history.history[f"{name}_loss"][epoch], rel=1e-6)
            assert float(validation[(f"{name} loss", epoch)]) == pytest.approx(
                history.history[f"val_{name}_loss"][epoch], rel=1e-6)
        rates = read_events(tmp_path / f"logs/scalars/learning_rate/{name}")
        assert float(rates[("learning rate", 1)]) == pytest.approx(2.5e-4)
        assert history.history[f"{name}_learning_rate"] == pytest.approx([2.5e-4, 2.5e-4])
    images = read_events(tmp_path / "logs/imgs")
    # the logger ran before the grid each epoch; it still logs both grids at their epochs
    assert sorted(step for tag, step in images if tag == "random generation") == [0, 1]
    encoded = images[("random generation", 1)]
    assert len(encoded) == 2 + 16  # width, height, then 16 PNG-encoded images
    assert encoded[:2].tolist() == [b"28", b"28"]


def test_callbacks_reject_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="every"):
        SampleGrid(tmp_path, every=0)
    with pytest.raises(ValueError, match="epoch"):
        SampleGrid(tmp_path, filename="grid.png")


def test_gif_renderer_renders_an_existing_folder(tmp_path):
    for index in range(3):
        Image.new("RGBA", (288, 288), (index, 0, 0, 255)).save(
            tmp_path / f"face_at_epoch_{index:03d}.png")
    renderer = GifRenderer(tmp_path, filename="vaegan_face.gif", pattern="face_at_epoch_*.png")
    path = renderer.render()
    assert path == tmp_path / "vaegan_face.gif" == renderer.path
    frames, _ = gif_frames(path)
    assert len(frames) == len(select_gif_frames(3)) == 4


def test_run_history_writes_csv_json_and_plots_and_resumes_from_its_state(tmp_path):
    history = RunHistory(tmp_path / "with_rates")
    history.on_epoch_end(0, {"encoder_loss": 7.0, "val_encoder_loss": 6.0,
                             "encoder_learning_rate": 5e-4})
    history.on_epoch_end(1, {"encoder_loss": 6.5, "val_encoder_loss": 6.2,
                             "encoder_learning_rate": 3e-4, "mnist_fid": 12.5})
    folder = tmp_path / "with_rates"
    assert history.history["encoder_learning_rate"] == [5e-4, 3e-4]
    assert (folder / "history.csv").read_text().splitlines() == [
        "epoch,encoder_learning_rate,encoder_loss,mnist_fid,val_encoder_loss",
        "0,0.0005,7.0,nan,6.0",
        "1,0.0003,6.5,12.5,6.2",
    ]
    assert json.loads((folder / "history.json").read_text())["encoder_loss"] == [7.0, 6.5]
    with Image.open(folder / "learning_rates.png") as image:
        assert image.size == (600, 360)
    resumed = RunHistory(folder)
    resumed.set_state(json.loads(json.dumps(history.get_state())))
    resumed.on_epoch_end(2, {"encoder_loss": 6.0, "val_encoder_loss": 6.1,
                             "encoder_learning_rate": 3e-4, "mnist_fid": 11.0})
    rows = (folder / "history.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[-1] == "2,0.0003,6.0,11.0,6.1"
    without = RunHistory(tmp_path / "without_rates")
    without.on_epoch_end(0, {"decoder_loss": 2.0})
    assert sorted(p.name for p in (tmp_path / "without_rates").iterdir()) == [
        "history.csv", "history.json", "losses.png"]


def test_mnist_quality_scores_every_n_epochs_and_nan_between(tmp_path):
    model = build_vaegan("mnist", seed=0)
    model.compile(**adam_optimizers())
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    quality = MnistQuality(every=2, samples=200, json_path=tmp_path / "metrics.json")
    history = model.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=2,
                        callbacks=[quality], verbose=0, shuffle=False)
    assert np.isnan(history.history["mnist_fid"][0])
    assert np.isfinite(history.history["mnist_fid"][1]) and history.history["mnist_fid"][1] > 0
    assert 1 <= history.history["mode_coverage"][1] <= 10
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert [entry["epoch"] for entry in written] == [1]
    assert sum(written[0]["class_counts"]) == 200
    with pytest.raises(ValueError):
        MnistQuality(every=0)


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    model = build_vaegan("mnist", seed=0)
    model.compile(**adam_optimizers())
    path = tmp_path / "model.keras"
    save_atomically(model, path)
    good = path.read_bytes()

    def crash_half_way(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"half a zip")
        raise OSError("No space left on device")

    monkeypatch.setattr(type(model), "save", crash_half_way)
    with pytest.raises(OSError, match="No space"):
        checkpoint = LatestCheckpoint(path)
        checkpoint.set_model(model)
        checkpoint.on_epoch_end(0)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no partial file


def test_a_nan_loss_stops_training_naming_epoch_and_batch_and_keeps_the_last_checkpoint(
        tmp_path):
    import keras

    from vaegan_tf import get_preset, training
    from vaegan_tf.callbacks import NonFiniteLossError

    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    calls = {"epochs": 0}

    def batches():  # epoch 0 clean; in epoch 1 the second batch is NaN
        for index in range(2):
            batch = images[4 * index:4 * index + 4]
            yield batch * np.nan if calls["epochs"] == 1 and index == 1 else batch
        calls["epochs"] += 1

    data = tf.data.Dataset.from_generator(
        batches, output_signature=tf.TensorSpec((None, 28, 28, 1), tf.float32))
    model = build_vaegan("mnist", seed=0)
    model.compile(**adam_optimizers())
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 1") as raised:
        training.train(model, data, tmp_path, get_preset("mnist"), epochs=3, sample_every=1,
                       verbose=0)
    assert raised.value.epoch == 1 and not np.isfinite(raised.value.losses["encoder_loss"])
    kept = keras.models.load_model(tmp_path / "model.keras")
    assert all(np.all(np.isfinite(w)) for w in kept.get_weights())
    assert len((tmp_path / "history.csv").read_text().strip().splitlines()) == 2  # header + 1
    assert sorted(p.name for p in tmp_path.glob("image_at_epoch_*.png")) == [
        "image_at_epoch_000.png"]


def test_epoch_line_has_losses_rates_scores_and_eta():
    from vaegan_tf.callbacks.progress import epoch_line

    logs = {"encoder_loss": 0.9123, "decoder_loss": 3.1, "discriminator_loss": 1.4,
            "val_encoder_loss": 0.95, "val_decoder_loss": 2.0, "val_discriminator_loss": 1.5,
            "encoder_learning_rate": 5e-4, "decoder_learning_rate": 3e-4,
            "discriminator_learning_rate": 5e-4, "mnist_fid": 16.43, "mode_coverage": 10.0,
            "kl_to_uniform": float("nan")}
    line = epoch_line(2, 10, logs, elapsed=180.0)
    assert line == ("epoch 3/10 | loss e/d/D 0.9123/3.1/1.4 | val 0.95/2/1.5 | "
                    "lr 0.0005/0.0003/0.0005 | mode_coverage 10 | mnist_fid 16.43 | "
                    "3m00s, ETA 7m00s")
    assert epoch_line(0, 1, {}, 5.0) == "epoch 1/1 | 0m05s, ETA 0m00s"


class _CtrlC(keras.callbacks.Callback):
    """Sends this process SIGINT at the given (epoch, batch) points, as a user's Ctrl-C;
    ``presses`` times in a row (2: the impatient second Ctrl-C)."""

    def __init__(self, points, presses=1):
        super().__init__()
        self.points, self.presses, self.epoch = set(points), presses, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        import os
        import signal

        if (self.epoch, batch) in self.points:
            for _ in range(self.presses):
                os.kill(os.getpid(), signal.SIGINT)


def _fit_with_ctrl_c(points, presses=1):
    from vaegan_tf import get_preset, training

    images = np.random.default_rng(0).uniform(-1, 1, (12, 28, 28, 1)).astype("float32")
    model = build_vaegan("mnist", seed=0)
    model.compile(**adam_optimizers())
    data = tf.data.Dataset.from_tensor_slices(images).batch(4)
    original = training.run_callbacks

    def with_ctrl_c(*args, **kwargs):
        callbacks, grids, gif = original(*args, **kwargs)
        return [*callbacks, _CtrlC(points, presses)], grids, gif

    return training, with_ctrl_c, model, data, get_preset("mnist")


def test_first_ctrl_c_finishes_the_batch_saves_and_stops(tmp_path, monkeypatch):
    import signal

    training, with_ctrl_c, model, data, preset = _fit_with_ctrl_c({(1, 0)})
    monkeypatch.setattr(training, "run_callbacks", with_ctrl_c)
    before = signal.getsignal(signal.SIGINT)
    history, files = training.train(model, data, tmp_path, preset, epochs=5, sample_every=1,
                                    verbose=0)
    assert len(history.history["encoder_loss"]) == 2  # epoch 1 stopped after its first batch
    assert files.model.is_file() and signal.getsignal(signal.SIGINT) is before
    # The partial epoch is saved as model.keras but not backed up: the finished epoch's file
    # moved into backup/, where its SHA-256 finds it, and a resume redoes epoch 1.
    state, restore_from = RunBackup.locate(tmp_path / "backup")
    assert files.interrupted and state["epoch"] == 1
    assert restore_from == tmp_path / "backup" / "model.keras"
    partial = keras.models.load_model(files.model)
    finished = keras.models.load_model(restore_from)
    assert int(partial.encoder_optimizer.iterations) == 4  # 3 batches + 1
    assert int(finished.encoder_optimizer.iterations) == 3
    # The next finished epoch writes model.keras again and the backup's copy goes.
    monkeypatch.undo()  # no more Ctrl-C
    training.train(model, data, tmp_path, preset, epochs=2, sample_every=1, verbose=0,
                   resume=True)
    state, restore_from = RunBackup.locate(tmp_path / "backup")
    assert state["epoch"] == 2 and restore_from == files.model
    assert not (tmp_path / "backup" / "model.keras").exists()
    assert int(keras.models.load_model(files.model).encoder_optimizer.iterations) == 6


def test_second_ctrl_c_stops_at_once(tmp_path, monkeypatch):
    import signal

    training, with_ctrl_c, model, data, preset = _fit_with_ctrl_c({(0, 0)}, 2)
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(training, "run_callbacks", with_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        training.train(model, data, tmp_path, preset, epochs=5, sample_every=1, verbose=0)
    assert not (tmp_path / "model.keras").exists()  # stopped inside epoch 0, before any save
    assert signal.getsignal(signal.SIGINT) is before


class ClassStub(DecoderStub):
    """A class-conditional model whose images show their class as brightness (class / 10)."""

    num_classes = condition_dim = 10

    def generate(self, codes, conditions=None):
        classes = np.argmax(np.asarray(conditions), axis=-1)
        return (classes / 10.0)[:, None, None, None] * np.ones((1, 28, 28, 1), "float32")

    def condition_vectors(self, conditions):
        return np.eye(10, dtype="float32")[np.asarray(conditions)]


def test_sample_grid_of_a_class_model_has_one_row_per_class(tmp_path):
    grids = SampleGrid(tmp_path, every=1, num_samples=16, seed=0)
    grids.set_model(ClassStub())
    grids.on_train_begin()
    grids.on_epoch_end(0)
    assert grids.columns == SampleGrid.MIN_CONDITIONAL_COLUMNS == 8
    rows = grids.last_images[:, 0, 0, 0].reshape(10, 8)
    np.testing.assert_allclose(rows, np.repeat(np.arange(10)[:, None] / 10.0, 8, axis=1))
