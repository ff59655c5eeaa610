"""Latent tools: interpolation, random walk, arithmetic, reconstruction rows and animations."""

import numpy as np
import pytest
from PIL import Image

from vaegan_tf import build_vaegan, latent


def test_interpolation_ends_at_both_codes_and_slerp_keeps_the_norm():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    for method in ("linear", "slerp"):
        codes = latent.interpolate_codes(a, b, steps=5, method=method)
        assert codes.shape == (5, 3)
        np.testing.assert_allclose(codes[0], a, atol=1e-6)
        np.testing.assert_allclose(codes[-1], b, atol=1e-6)
    linear = latent.interpolate_codes(a, b, 3, "linear")
    spherical = latent.interpolate_codes(a, b, 3, "slerp")
    assert np.linalg.norm(linear[1]) == pytest.approx(np.sqrt(0.5))
    assert np.linalg.norm(spherical[1]) == pytest.approx(1.0)
    np.testing.assert_allclose(latent.slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: linear
    with pytest.raises(ValueError):
        latent.interpolate_codes(a, b, 1)
    with pytest.raises(ValueError):
        latent.interpolate_codes(a, b, 3, "cubic")


def test_random_walk_stays_on_the_prior_and_moves_smoothly():
    codes = latent.random_walk_codes(64, steps=400, step_size=0.2, seed=0)
    assert codes.shape == (400, 64)
    assert codes.std() == pytest.approx(1.0, abs=0.1)
    steps = np.linalg.norm(np.diff(codes, axis=0), axis=1)
    assert steps.mean() == pytest.approx(np.sqrt(2 * (1 - np.sqrt(1 - 0.04)) * 64), rel=0.1)
    np.testing.assert_array_equal(codes, latent.random_walk_codes(64, 400, 0.2, seed=0))


def test_attribute_vector_is_the_difference_of_class_means():
    codes = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    labels = np.array([7, 7, 1, 1])
    np.testing.assert_allclose(latent.attribute_vector(codes, labels, 7, 1), [2.0, -3.0])
    with pytest.raises(ValueError, match="No codes labelled 3"):
        latent.attribute_vector(codes, labels, 3, 1)


def test_reconstruction_rows_and_animation_files(tmp_path):
    model = build_vaegan("mnist", seed=0)
    images = np.random.default_rng(0).uniform(-1, 1, (6, 28, 28, 1)).astype(np.float32)
    rebuilt = latent.reconstruct(model, images)
    assert rebuilt.shape == images.shape and np.abs(rebuilt).max() <= 1.0
    path = latent.save_rows([images, rebuilt], tmp_path / "rows.png", scale=2)
    with Image.open(path) as image:
        assert image.size == (6 * 56, 2 * 56) and image.mode == "RGB"
    gif = latent.save_animation(rebuilt, tmp_path / "walk.gif", scale=3)
    with Image.open(gif) as animation:
        assert animation.n_frames == 6 and animation.size == (84, 84)
