"""Every layer of the MNIST networks against the NTUT spec, section 2.1."""

import json

import keras
import pytest

from vaegan_tf import get_preset
from vaegan_tf.networks import build_decoder, build_discriminator, build_encoder

TRUNK = [
    ("InputLayer", (None, 28, 28, 1)),
    ("Conv2D", (None, 13, 13, 64)),
    ("Conv2D", (None, 5, 5, 128)),
    ("BatchNormalization", (None, 5, 5, 128)),
    ("LeakyReLU", (None, 5, 5, 128)),
    ("Flatten", (None, 3200)),
    ("Dense", (None, 1024)),
    ("BatchNormalization", (None, 1024)),
    ("LeakyReLU", (None, 1024)),
]
ENCODER = [*TRUNK, ("Dense", (None, 128))]
DISCRIMINATOR = [*TRUNK, ("Dense", (None, 1))]
DECODER = [
    ("InputLayer", (None, 64)),
    ("Dense", (None, 1024)),
    ("BatchNormalization", (None, 1024)),
    ("ReLU", (None, 1024)),
    ("Dense", (None, 4608)),
    ("BatchNormalization", (None, 4608)),
    ("ReLU", (None, 4608)),
    ("Reshape", (None, 6, 6, 128)),
    ("Conv2DTranspose", (None, 13, 13, 64)),
    ("BatchNormalization", (None, 13, 13, 64)),
    ("ReLU", (None, 13, 13, 64)),
    ("Conv2DTranspose", (None, 28, 28, 1)),
]


def layer_table(model: keras.Model) -> list[tuple[str, tuple]]:
    return [(type(layer).__name__, tuple(layer.output.shape)) for layer in model.layers]


@pytest.mark.parametrize(
    ("builder", "expected"),
    [(build_encoder, ENCODER), (build_decoder, DECODER), (build_discriminator, DISCRIMINATOR)],
)
def test_every_layer_shape_matches_spec(builder, expected):
    assert layer_table(builder(get_preset("mnist"))) == expected


def test_input_names_follow_the_original():
    preset = get_preset("mnist")
    names = [build(preset).inputs[0].name for build in
             (build_encoder, build_decoder, build_discriminator)]
    assert names == ["encoder_inp", "decoder_inp", "discriminator_inp"]


def test_convolutions_kernels_strides_and_activations():
    encoder = build_encoder(get_preset("mnist"))
    first, second = [layer for layer in encoder.layers if type(layer).__name__ == "Conv2D"]
    assert first.kernel_size == second.kernel_size == (4, 4)
    assert first.strides == second.strides == (2, 2)
    assert first.padding == second.padding == "valid"
    assert first.activation.negative_slope == pytest.approx(0.2)  # [U] leaky first conv
    assert second.activation.__name__ == "linear"
    decoder = build_decoder(get_preset("mnist"))
    up_first, up_last = [layer for layer in decoder.layers
                         if type(layer).__name__ == "Conv2DTranspose"]
    assert (up_first.kernel_size, up_last.kernel_size) == ((3, 3), (4, 4))
    assert up_last.activation.__name__ == "tanh"


def test_leaky_relu_slope_is_the_originals_point_two_not_keras_default():
    preset = get_preset("mnist")
    slopes = [layer.negative_slope
              for model in (build_encoder(preset), build_discriminator(preset))
              for layer in model.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert slopes == pytest.approx([0.2] * 4)


def test_batch_norm_sits_before_every_activation_layer():
    preset = get_preset("mnist")
    for model in (build_encoder(preset), build_decoder(preset), build_discriminator(preset)):
        names = [type(layer).__name__ for layer in model.layers]
        for index, name in enumerate(names):
            if name in ("LeakyReLU", "ReLU"):
                assert names[index - 1] == "BatchNormalization", (model.name, index)


def test_discriminator_sigmoid_output_and_feature_output():
    discriminator = build_discriminator(get_preset("mnist"))
    assert discriminator.get_layer("prob").activation.__name__ == "sigmoid"
    assert [tuple(shape) for shape in discriminator.output_shape] == [(None, 1), (None, 3200)]


@pytest.mark.parametrize(("tap", "producer"), [("conv", "Conv2D"),
                                                ("batch_norm", "BatchNormalization"),
                                                ("activation", "LeakyReLU")])
def test_feature_tap_selects_the_conv_block_tensor(tap, producer):
    discriminator = build_discriminator(get_preset("mnist", feature_tap=tap))
    flatten = discriminator.outputs[1]._keras_history.operation
    source = flatten._inbound_nodes[0].input_tensors[0]._keras_history.operation
    assert type(source).__name__ == producer
    assert tuple(discriminator.outputs[1].shape) == (None, 3200)


def test_unknowns_are_preset_fields():
    encoder = build_encoder(get_preset("mnist", conv_kernel_size=3,
                                       first_conv_activation="linear"))
    first = next(layer for layer in encoder.layers if type(layer).__name__ == "Conv2D")
    assert first.kernel_size == (3, 3) and first.activation.__name__ == "linear"
    assert encoder.layers[2].output.shape[1:] == (6, 6, 128)  # kernel 3: 28→13→6
    decoder = build_decoder(get_preset("mnist", output_activation="sigmoid"))
    assert decoder.layers[-1].activation.__name__ == "sigmoid"
    assert get_preset("mnist", output_activation="sigmoid").data_range == (0.0, 1.0)


def test_decoder_that_cannot_reach_the_image_shape_is_refused():
    with pytest.raises(ValueError, match="image_shape"):
        build_decoder(get_preset("mnist", decoder_base_shape=(7, 7, 128)))


def test_bad_preset_values_are_refused():
    with pytest.raises(ValueError, match="output_activation"):
        get_preset("mnist", output_activation="relu")
    with pytest.raises(TypeError, match="Unknown preset field"):
        get_preset("mnist", latent_size=3)
    with pytest.raises(ValueError, match="Unknown preset"):
        get_preset("cifar")


@pytest.mark.parametrize(("text", "expected"), [
    ("conv_kernel_size=3", ("conv_kernel_size", 3)),
    ("learning_rate=1e-4", ("learning_rate", 1e-4)),
    ("share_prior_noise=True", ("share_prior_noise", True)),
    ("output_activation=sigmoid", ("output_activation", "sigmoid")),
    ("decoder_base_shape=7,7,64", ("decoder_base_shape", (7, 7, 64))),
])
def test_preset_overrides_parse_to_the_fields_type(text, expected):
    assert get_preset("mnist").parse_override(text) == expected


@pytest.mark.parametrize("text", ["latent_dim", "latent_size=3", "latent_dim=x",
                                  "share_prior_noise=yes", "name=faces"])
def test_bad_preset_overrides_are_refused(text):
    with pytest.raises(ValueError):
        get_preset("mnist").parse_override(text)


def test_network_overrides_add_up_and_keep_the_shared_fields():
    preset = get_preset("dcgan-mnist").with_assignments(
        ["discriminator.learning_rate=4e-4", "generator.optimizer=rmsprop",
         "generator.learning_rate=1e-4"])
    assert preset.network_optimizers == {
        "generator": {"optimizer": "rmsprop", "learning_rate": 1e-4},
        "discriminator": {"learning_rate": 4e-4}}
    assert preset.optimizer_settings("discriminator") == {
        "optimizer": "adam", "learning_rate": 4e-4, "adam_beta_1": 0.5, "adam_beta_2": 0.999}
    assert preset.optimizer_settings() == get_preset("dcgan-mnist").optimizer_settings()
    # what config.json holds reads back as the same preset
    saved = json.loads(json.dumps(preset.to_dict()))
    assert get_preset("dcgan-mnist", **{key: value for key, value in saved.items()
                                         if key == "network_optimizers"}) == preset


@pytest.mark.parametrize(("entries", "message"), [
    ({"critic": {"learning_rate": 1e-4}}, "no network 'critic'"),
    ({"generator": {"lr": 1e-4}}, "'lr' is not an optimizer setting"),
    ({"generator": {"learning_rate": 0}}, "generator.learning_rate must be positive"),
    ({"generator": {"learning_rate": "fast"}}, "generator.learning_rate must be a finite"),
    ({"generator": {"adam_beta_1": 1.0}}, r"generator.adam_beta_1 must be in \[0, 1\)"),
    ({"generator": {"optimizer": "sgd"}}, "generator.optimizer must be one of"),
    ({"generator": {}}, "non-empty dict"),
    ({"generator": 1e-4}, "non-empty dict"),
])
def test_bad_network_optimizer_entries_are_refused(entries, message):
    with pytest.raises(ValueError, match=message):
        get_preset("dcgan-mnist", network_optimizers=entries)


@pytest.mark.parametrize("text", ["generator.learning_rate=1e-4", "encoder.lr=1",
                                  "decoder.learning_rate=fast", "network_optimizers=x"])
def test_bad_network_overrides_are_refused(text):
    with pytest.raises(ValueError):
        get_preset("mnist").parse_override(text)


FACE_TRUNK = [
    ("InputLayer", (None, 64, 64, 3)),
    ("Conv2D", (None, 31, 31, 64)),
    ("Conv2D", (None, 14, 14, 128)),
    ("BatchNormalization", (None, 14, 14, 128)),
    ("LeakyReLU", (None, 14, 14, 128)),
    ("Flatten", (None, 25088)),
]
FACE_DENSE = [("Dense", (None, 1024)), ("BatchNormalization", (None, 1024)),
              ("LeakyReLU", (None, 1024))]
FACE_ENCODER = [*FACE_TRUNK, *FACE_DENSE, ("Dense", (None, 4096))]
FACE_DISCRIMINATOR = [*FACE_TRUNK, ("MinibatchDiscrimination", (None, 25104)),
                      ("Dropout", (None, 25104)), *FACE_DENSE, ("Dense", (None, 1))]
FACE_DECODER = [
    ("InputLayer", (None, 2048)),
    ("Dense", (None, 1024)), ("BatchNormalization", (None, 1024)), ("ReLU", (None, 1024)),
    ("Dense", (None, 28800)), ("BatchNormalization", (None, 28800)), ("ReLU", (None, 28800)),
    ("Reshape", (None, 15, 15, 128)),
    ("Conv2DTranspose", (None, 31, 31, 64)), ("BatchNormalization", (None, 31, 31, 64)),
    ("ReLU", (None, 31, 31, 64)),
    ("Conv2DTranspose", (None, 64, 64, 3)),
]


@pytest.mark.parametrize(
    ("builder", "expected", "millions"),
    [(build_encoder, FACE_ENCODER, 30.0), (build_decoder, FACE_DECODER, 31.8),
     (build_discriminator, FACE_DISCRIMINATOR, 27.9)],
)
def test_face_networks_match_spec_2_2_and_its_parameter_counts(builder, expected, millions):
    model = builder(get_preset("faces"))
    assert layer_table(model) == expected
    assert round(model.count_params() / 1e6, 1) == millions  # spec 2.4
    if builder is build_discriminator:
        assert model.get_layer("minibatch_layer").num_kernels == 16
        assert [tuple(shape) for shape in model.output_shape] == [(None, 1), (None, 25088)]


def test_mnist_discriminator_has_no_minibatch_layer_or_dropout():
    names = {type(layer).__name__ for layer in build_discriminator(get_preset("mnist")).layers}
    assert not names & {"MinibatchDiscrimination", "Dropout"}


def test_defaults_are_tf_2_2s_adam_initialisers_and_batch_norm():
    """Issue 11, hypothesis 7: what TF 2.2's tf.keras used is what these networks get (Adam
    ε 1e-7, β 0.9/0.999; Glorot-uniform kernels, zero biases; batch norm momentum 0.99, ε 1e-3),
    so that reading of the original needs no run."""
    import keras

    from vaegan_tf import adam_optimizers, build_vaegan

    optimizer = adam_optimizers()["encoder_optimizer"]
    assert (optimizer.epsilon, optimizer.beta_1, optimizer.beta_2) == (1e-7, 0.9, 0.999)
    model = build_vaegan("mnist")
    layers = [layer for network in model.networks.values() for layer in network.layers]
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all((n.momentum, n.epsilon) == (0.99, 1e-3) for n in norms)
    weighted = [layer for layer in layers if hasattr(layer, "kernel_initializer")]
    assert weighted and all(
        type(layer.kernel_initializer).__name__ == "GlorotUniform"
        and type(layer.bias_initializer).__name__ == "Zeros" for layer in weighted)
