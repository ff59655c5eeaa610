"""Face pipelines: folder walking, decoding, the seeded split, bad input, lfw-mini, tfds celeb_a."""

import json
import re
import warnings

import numpy as np
import pytest
from PIL import Image

from vaegan_tf import data
from vaegan_tf.data import face_images

RNG = np.random.default_rng(0)


def write_images(folder, count, size=(40, 50), suffix="jpg"):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        pixels = RNG.integers(0, 256, (*size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"face_{index:03d}.{suffix}")


def all_images(dataset):
    return np.concatenate([batch.numpy() for batch in dataset])


@pytest.fixture
def mixed_folder(tmp_path):
    """Ten JPEGs at the top, one of each other format (and modes) in a subfolder, a text file."""
    root = tmp_path / "faces"
    write_images(root, 10)
    sub = root / "more" / "deeper"
    sub.mkdir(parents=True)
    Image.fromarray(RNG.integers(0, 256, (30, 20), dtype=np.uint8)).save(sub / "gray.png")
    Image.fromarray(RNG.integers(0, 256, (30, 20, 4), dtype=np.uint8)).save(sub / "rgba.png")
    Image.fromarray(RNG.integers(0, 256, (30, 20, 3), dtype=np.uint8)).save(sub / "b.BMP")
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    frames[0].save(sub / "anim.gif", save_all=True, append_images=frames[1:])
    (root / "notes.txt").write_text("not an image")
    return root


def test_walks_recursively_sorted_and_only_images(mixed_folder):
    names = [path.relative_to(mixed_folder).as_posix()
             for path in data.list_images(mixed_folder)]
    assert len(names) == 14
    assert names[:2] == ["face_000.jpg", "face_001.jpg"]
    assert set(names[10:]) == {"more/deeper/anim.gif", "more/deeper/b.BMP",
                               "more/deeper/gray.png", "more/deeper/rgba.png"}
    assert names == sorted(names)


def test_every_format_and_mode_becomes_64x64_rgb_in_range(mixed_folder):
    train, validation = data.image_folder(mixed_folder, batch_size=2, validation_size=4)
    images = np.concatenate([all_images(train), all_images(validation)])
    # 10 train images in batches of 2 (none dropped), 4 validation images.
    assert images.shape == (14, 64, 64, 3) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_transparency_on_white_and_gray_to_rgb():
    assert data.prepare_image(Image.new("RGB", (8, 8), "red"), 4)[0, 0].tolist() == [255, 0, 0]
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert data.prepare_image(clear, 4)[0, 0].tolist() == [255, 255, 255]
    gray = Image.new("L", (8, 8), 77)
    assert data.prepare_image(gray, 4)[0, 0].tolist() == [77, 77, 77]


def test_gif_file_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with Image.open(tmp_path / "anim.gif") as image:
        pixel = data.prepare_image(image, 8)[4, 4]
    assert pixel[0] > 200 and pixel[2] < 50


def test_resize_squashes_and_center_crop_cuts_the_middle_first():
    pixels = np.zeros((200, 100, 3), np.uint8)
    pixels[50:150, :] = 255  # white central 100x100 square in a tall black image
    image = Image.fromarray(pixels)
    squashed = data.prepare_image(image, 64)
    cropped = data.prepare_image(image, 64, center_crop=100)
    assert squashed.shape == cropped.shape == (64, 64, 3)
    assert squashed[0].max() == 0 and squashed[32].min() == 255  # aspect not kept
    assert cropped.min() == 255  # only the central square is left
    assert data.prepare_image(image, 64, center_crop=500).shape == (64, 64, 3)


def test_split_is_seeded_disjoint_and_complete(tmp_path):
    write_images(tmp_path / "faces", 40)
    first = data.split_image_folder(tmp_path / "faces", seed=3)
    again = data.split_image_folder(tmp_path / "faces", seed=3)
    other = data.split_image_folder(tmp_path / "faces", seed=4)
    assert first == again
    assert first.validation != other.validation
    assert len(first.validation) == 6 and len(first.train) == 34  # round(40 · 0.15)
    assert not set(first.train) & set(first.validation)
    assert sorted(first.train + first.validation) == [f"face_{i:03d}.jpg" for i in range(40)]


def test_split_sizes_follow_the_original():
    assert data.validation_count(10000) == 1500  # 8500 / 1500
    assert data.validation_count(100) == 15
    assert data.validation_count(5) == 1  # never an empty validation set by rounding
    assert data.validation_count(100, validation_fraction=0.0) == 0
    assert data.validation_count(100, validation_size=7) == 7
    with pytest.raises(ValueError, match="validation_fraction"):
        data.validation_count(100, validation_fraction=1.0)


def test_split_file_records_the_split(tmp_path):
    write_images(tmp_path / "faces", 20)
    data.image_folder(tmp_path / "faces", batch_size=4, seed=1,
                      split_file=tmp_path / "run" / "split.json")
    record = json.loads((tmp_path / "run" / "split.json").read_text())
    expected = data.split_image_folder(tmp_path / "faces", seed=1)
    assert (record["seed"], record["train_count"], record["validation_count"]) == (1, 17, 3)
    assert record["validation"] == list(expected.validation)


def test_training_batches_reshuffle_and_validation_order_is_fixed(tmp_path):
    write_images(tmp_path / "faces", 24)
    for cache in (True, False):
        train, validation = data.image_folder(tmp_path / "faces", batch_size=4,
                                              validation_size=8, seed=0, cache=cache)
        epoch_one, epoch_two = all_images(train), all_images(train)
        assert epoch_one.shape == (16, 64, 64, 3)
        assert not np.array_equal(epoch_one, epoch_two)
        np.testing.assert_array_equal(np.sort(epoch_one, axis=0), np.sort(epoch_two, axis=0))
        np.testing.assert_array_equal(all_images(validation), all_images(validation))


def test_corrupt_file_is_skipped_with_a_warning_naming_it(tmp_path):
    write_images(tmp_path / "faces", 12)
    (tmp_path / "faces" / "broken.jpg").write_bytes(b"\xff\xd8 truncated nonsense")
    truncated = tmp_path / "faces" / "half.png"
    Image.fromarray(RNG.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    train, validation = data.image_folder(tmp_path / "faces", batch_size=2,
                                          validation_fraction=0.0)
    assert validation is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = all_images(train)
    assert images.shape == (12, 64, 64, 3)  # 14 files, 2 unreadable
    messages = sorted(str(warning.message) for warning in caught)
    assert len(messages) == 2
    assert "broken.jpg" in messages[0] and "half.png" in messages[1]


@pytest.mark.parametrize("setup, error, message", [
    (lambda root: root.mkdir(), ValueError, "No images in"),
    (lambda root: (root.mkdir(), (root / "a.txt").write_text("x")), ValueError, "No images in"),
    (lambda root: None, FileNotFoundError, "does not exist"),
    (lambda root: root.write_text("x"), NotADirectoryError, "is not a folder"),
    (lambda root: write_images(root, 5), ValueError, "fewer than one batch of 64"),
])
def test_bad_folders_give_one_clear_error_naming_the_folder(tmp_path, setup, error, message):
    root = tmp_path / "my_faces"
    setup(root)
    with pytest.raises(error, match=message) as raised:
        data.image_folder(root)
    assert str(root) in str(raised.value)


def test_lfw_mini_is_the_first_hundred_real_faces_split_85_15():
    train, validation = data.load_faces("lfw-mini", batch_size=16, seed=0)
    train_images, validation_images = all_images(train), all_images(validation)
    assert train_images.shape == (80, 64, 64, 3)  # 85 training faces, short batch dropped
    assert validation_images.shape == (15, 64, 64, 3)
    assert -1.0 <= train_images.min() < -0.5 and 0.5 < train_images.max() <= 1.0
    # gray faces: all three channels equal
    np.testing.assert_array_equal(validation_images[..., 0], validation_images[..., 2])
    again = all_images(data.load_faces("lfw-mini", batch_size=16, seed=0)[1])
    np.testing.assert_array_equal(validation_images, again)


def test_lfw_mini_split_file(tmp_path):
    data.lfw_mini(batch_size=64, split_file=tmp_path / "split.json")
    record = json.loads((tmp_path / "split.json").read_text())
    assert (record["source"], record["train_count"], record["validation_count"]) == (
        "lfw-mini", 85, 15)
    indices = [int(re.search(r"\d+", name).group()) for name in
               record["train"] + record["validation"]]
    assert sorted(indices) == list(range(100))


def test_a_prepared_tfds_celeb_a_directory_uses_its_own_splits(tmp_path):
    import tensorflow_datasets as tfds

    class CelebA(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        """A local stand-in for TFDS' celeb_a (218x178 RGB), prepared without a download."""

        VERSION = tfds.core.Version("2.1.0")

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(218, 178, 3))}))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(6),
                    "validation": self._generate_examples(3)}

        def _generate_examples(self, count):
            for index in range(count):
                yield index, {"image": np.full((218, 178, 3), index * 20, np.uint8)}

    CelebA(data_dir=str(tmp_path)).download_and_prepare()
    assert face_images._tfds_celeb_a_directory(tmp_path).name == "2.1.0"
    train, validation = data.image_folder(tmp_path, batch_size=2, center_crop=160,
                                          split_file=tmp_path / "split.json")
    assert all_images(train).shape == (6, 64, 64, 3)
    assert all_images(validation).shape == (3, 64, 64, 3)
    assert json.loads((tmp_path / "split.json").read_text())["validation_count"] == 3


def test_celeba_attribute_list(tmp_path):
    path = tmp_path / "list_attr_celeba.txt"
    path.write_text("3\nSmiling Male Young\n000001.jpg -1  1 1\n000002.jpg  1 -1 1\n"
                    "000003.jpg 1 1 -1\n")
    names, files, values = data.celeba_attributes(path)
    assert names == ["Smiling", "Male", "Young"]
    assert files == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert values.tolist() == [[-1, 1, 1], [1, -1, 1], [1, 1, -1]]
    path.write_text("2\nSmiling\n000001.jpg 1\n")
    with pytest.raises(ValueError, match="not a CelebA attribute list"):
        data.celeba_attributes(path)


def test_image_folder_with_attributes_yields_each_image_with_its_own_row(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    lines = ["6", "Bright Odd"]
    for index in range(6):
        name = f"{index:06d}.png"
        Image.fromarray(np.full((8, 8, 3), index * 40, np.uint8)).save(folder / name)
        lines.append(f"{name} {1 if index >= 3 else -1} {1 if index % 2 else -1}")
    (tmp_path / "attrs.txt").write_text("\n".join(lines) + "\n")
    train, validation = data.image_folder(folder, image_size=8, batch_size=2, seed=0,
                                          validation_size=2, value_range=(0.0, 1.0),
                                          attributes=tmp_path / "attrs.txt")
    seen = 0
    for dataset in (train, validation):
        for images, rows in dataset:
            for image, row in zip(images.numpy(), rows.numpy(), strict=True):
                index = round(float(image.mean()) * 255 / 40)  # the brightness names the file
                assert row.tolist() == [float(index >= 3), float(index % 2)]
                seen += 1
    assert seen == 6
    (tmp_path / "attrs.txt").write_text("\n".join(lines[:-1]).replace("6", "5", 1) + "\n")
    with pytest.raises(ValueError, match="no row in"):
        data.image_folder(folder, image_size=8, batch_size=2, attributes=tmp_path / "attrs.txt")


def test_sixteen_bit_png_keeps_its_gray_levels(tmp_path):
    ramp = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 … 65520
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    with Image.open(tmp_path / "g16.png") as image:
        assert image.mode.startswith("I")
        pixels = data.prepare_image(image, 64)
    expected = np.round(ramp / 257.0)
    np.testing.assert_allclose(pixels[..., 0], expected, atol=1)
    assert (pixels == 255).mean() < 0.01  # before: 99.6 % clipped to white


def test_listing_follows_folder_links_once_and_skips_hidden_and_undecodable_names(tmp_path):
    import os

    root = tmp_path / "faces"
    (root / "a").mkdir(parents=True)
    (root / ".cache").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pixel = Image.fromarray(np.zeros((4, 4, 3), np.uint8))
    for path in (root / "a" / "1.png", root / ".cache" / "2.png", root / ".hidden.png",
                 elsewhere / "3.png"):
        pixel.save(path)
    os.symlink(elsewhere, root / "linked")
    os.symlink(root, root / "a" / "loop")  # a link back up: listed once, no endless walk
    with open(os.fsencode(root) + b"/\xff.png", "wb") as file:
        pixel.save(file, format="PNG")
    with pytest.warns(UserWarning, match="not UTF-8"):
        names = [path.relative_to(root).as_posix() for path in data.list_images(root)]
    assert names == ["a/1.png", "linked/3.png"]
