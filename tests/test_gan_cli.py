"""The GAN family through the command line: train picks data and batch from the preset, and
every command works on a GAN or says clearly why it cannot (exit 2)."""

import json

import numpy as np
import pytest
from PIL import Image

from vaegan_tf import __main__ as entry
from vaegan_tf.commands import train

TOY = ["--set", "latent_dim=8", "--set", "dense_units=16", "--set", "generator_filters=4",
       "--set", "discriminator_filters=4"]


@pytest.fixture(scope="module")
def trained_cdcgan(tmp_path_factory):
    """A class-conditional DCGAN at toy widths, 2 epochs on 320 digits, scored every epoch."""
    run = tmp_path_factory.mktemp("cdcgan") / "run"
    code = entry.main(["train", "--preset", "cdcgan-mnist", "--limit", "320", "--epochs", "2",
                       "--metrics-samples", "200", "--quiet", "--seed", "1", "--jit", "off",
                       "--out", str(run),
                       *TOY])
    assert code == 0
    return run


def test_train_writes_a_gan_run_with_conditional_scores_and_class_rows(trained_cdcgan):
    run = trained_cdcgan
    history = json.loads((run / "history.json").read_text())
    assert {"generator_loss", "discriminator_loss", "val_generator_loss",
            "generator_learning_rate", "mnist_fid", "class_match"} <= set(history)
    assert "encoder_loss" not in history and len(history["generator_loss"]) == 2
    config = json.loads((run / "config.json").read_text())
    assert config["preset"]["name"] == "cdcgan-mnist"
    assert config["preset"]["generator_steps"] == 2 and config["preset"]["batch_size"] == 64
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics[-1]["class_match_per_class"]) == 10
    assert json.loads((run / "best" / "best.json").read_text())["monitor"] == "mnist_fid"
    assert sorted(p.name for p in (run / "best").iterdir()) == ["best.json", "generator.keras",
                                                               "model.json"]
    # The default interval of a GAN preset is 1: a grid per epoch, 10 class rows of 8.
    assert sorted(p.name for p in run.glob("image_at_epoch_*.png")) == [
        "image_at_epoch_000.png", "image_at_epoch_001.png"]
    assert (run / "samples.gif").is_file()


def test_every_command_on_a_gan(trained_cdcgan, tmp_path, capsys):
    model = str(trained_cdcgan / "model.keras")
    best = str(trained_cdcgan / "best")  # the best epoch's generator, rebuilt into its model
    assert entry.main(["sample", "--model", best, "--n", "10",
                       "--out", str(tmp_path / "s.png")]) == 0
    assert entry.main(["walk", "--model", model, "--steps", "4", "--label", "3",
                       "--out", str(tmp_path / "w.gif")]) == 0
    assert entry.main(["interpolate", "--model", model, "--steps", "3",
                       "--out", str(tmp_path / "i.png")]) == 0
    with Image.open(tmp_path / "w.gif") as walk:
        assert walk.n_frames == 4
    assert entry.main(["evaluate", "--model", model, "--samples", "200",
                       "--json", str(tmp_path / "e.json")]) == 0
    scores = json.loads((tmp_path / "e.json").read_text())
    assert 0.0 <= scores["class_match"] <= 1.0 and scores["protocol"]["samples"] == 200
    assert entry.main(["gif", str(trained_cdcgan), "--out", str(tmp_path / "g.gif")]) == 0
    capsys.readouterr()
    for argv in (["reconstruct", "--model", model],
                 ["arithmetic", "--model", model],
                 ["interpolate", "--model", model, "--pair", "0", "1"],
                 ["walk", "--model", model, "--label", "10"]):
        assert entry.main([*argv, "--out", str(tmp_path / "x.png")]) == 2, argv
        error = capsys.readouterr().err
        assert error.startswith("error:") and ("encoder" in error or "--label" in error)
    assert not (tmp_path / "x.png").exists()
    assert entry.main(["evaluate", "--model", model, "--standing-statistics", "100"]) == 2
    assert "they need ema_decay > 0" in capsys.readouterr().err


def test_the_preset_picks_the_data_and_the_critic_batch():
    args = train.parse_args(["--preset", "wgan-gp-mnist", "--limit", "400", *TOY])
    assert args.preset.dataset == "mnist" and args.epochs == 10 and args.sample_every == 1
    train_data, validation, _ = train.load_data(args)
    images = next(iter(train_data))
    # A train step takes 5 critic batches of 64; validation uses plain batches of 64.
    assert images.shape == (320, 28, 28, 1)
    assert next(iter(validation)).shape == (64, 28, 28, 1)
    conditional = train.parse_args(["--preset", "cwgan-mnist", "--limit", "400", *TOY])
    images, labels = next(iter(train.load_data(conditional)[0]))
    assert images.shape[0] == labels.shape[0] == 320
    assert set(np.unique(labels.numpy())) <= set(range(10))


def celeba_like(folder, count=12, attributes=40):
    """``count`` random JPEGs in ``folder``/img and a list_attr_celeba.txt beside them; image
    i has attribute j on when (i + j) is even."""
    images = folder / "img"
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = [str(count), " ".join(f"Attribute_{j}" for j in range(attributes))]
    for index in range(count):
        name = f"{index + 1:06d}.jpg"
        Image.fromarray(rng.integers(0, 256, (50, 40, 3), dtype=np.uint8)).save(images / name)
        lines.append(name + " " + " ".join("1" if (index + j) % 2 == 0 else "-1"
                                           for j in range(attributes)))
    (folder / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    return images


def test_attribute_conditional_face_gan_trains_on_a_folder_with_an_attribute_list(
        tmp_path, capsys):
    images = celeba_like(tmp_path)
    toy = [*TOY, "--set", "latent_dim=4"]
    run = tmp_path / "run"
    assert entry.main(["train", "--preset", "cdcgan-faces", "--data", str(images), "--epochs",
                       "1", "--batch-size", "4", "--quiet", "--out", str(run), *toy]) == 0
    assert "with attributes" in capsys.readouterr().out
    history = json.loads((run / "history.json").read_text())
    assert len(history["generator_loss"]) == 1 and "val_discriminator_loss" in history
    assert (run / "face_at_epoch_000.png").is_file()
    # No attribute list where one is needed, or one with the wrong count: exit 2, one line.
    (tmp_path / "list_attr_celeba.txt").unlink()
    assert entry.main(["train", "--preset", "cdcgan-faces", "--data", str(images),
                       "--out", str(tmp_path / "other"), *toy]) == 2
    assert "no attribute list" in capsys.readouterr().err
    short = celeba_like(tmp_path / "short", attributes=3)
    assert entry.main(["train", "--preset", "cdcgan-faces", "--data", str(short),
                       "--out", str(tmp_path / "other"), *toy]) == 2
    assert "has 3 attributes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.parse_args(["--preset", "dcgan-faces", "--attributes", "x.txt"])
