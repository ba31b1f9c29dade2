import keras
import numpy as np
import pytest

from colornn_keras import backbone
from colornn_keras.models import color
from colornn_keras.research import training
from tests.models import harness


def _luma(batch, size, seed=0):
    return np.random.default_rng(seed).random((batch, size, size, 1)).astype(np.float32)


@pytest.mark.parametrize("image_size", [32, 64])
def test_output_shapes_and_dtypes(image_size, vgg16_weights):
    model = color.build_color_model(image_size=image_size, num_bins=12, backbone_weights=vgg16_weights)
    outputs = model(_luma(2, image_size))
    for axis in ("u", "v"):
        assert outputs[axis].shape == (2, image_size, image_size, 12)
        assert outputs[axis].dtype == "float32"
        np.testing.assert_allclose(np.sum(outputs[axis], axis=-1), 1.0, atol=1e-5)


def test_bfloat16_computes_the_body_in_bfloat16_and_the_heads_in_float32(vgg16_weights):
    model = color.build_color_model(image_size=32, backbone_weights=vgg16_weights, dtype="mixed_bfloat16")
    assert model.get_layer("block3_conv1").compute_dtype == "bfloat16"
    assert model.get_layer("block3_conv1").variable_dtype == "float32"
    assert model.get_layer("u_logits").compute_dtype == "float32"
    assert model(_luma(1, 32))["v"].dtype == "float32"


def test_vgg16_layers_are_frozen_and_carry_imagenet_weights(vgg16_weights):
    model = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    tapped = [name for name in backbone.VGG16_CONV_LAYERS if name <= "block4_conv3"]
    for name in tapped:
        layer = model.get_layer(name)
        assert not layer.trainable
        np.testing.assert_array_equal(layer.get_weights()[0], vgg16_weights[name][0])
    frozen = sum(int(np.prod(weight.shape)) for weight in model.non_trainable_weights)
    assert frozen > 7_600_000  # VGG16 up to block4_conv3 (7,635,264) plus batch-norm statistics.


@pytest.mark.large
def test_a_training_step_leaves_vgg16_bit_identical_and_moves_the_decoder(vgg16_weights):
    model = training.compile_color_model(color.build_color_model(image_size=32, backbone_weights=vgg16_weights))
    before_vgg = [weight.numpy().copy() for weight in model.get_layer("block2_conv1").weights]
    before_decoder = model.get_layer("block3_decode").get_weights()[0].copy()
    targets = {axis: np.random.default_rng(3).integers(0, 30, (4, 32, 32)) for axis in ("u", "v")}
    model.train_on_batch(_luma(4, 32), targets)
    for before, weight in zip(before_vgg, model.get_layer("block2_conv1").weights):
        np.testing.assert_array_equal(before, weight.numpy())
    assert not np.array_equal(before_decoder, model.get_layer("block3_decode").get_weights()[0])


@pytest.mark.large
def test_tiny_overfit_loss_falls_clearly(vgg16_weights):
    keras.utils.set_random_seed(0)
    model = training.compile_color_model(color.build_color_model(image_size=32, backbone_weights=vgg16_weights), 3e-3)
    luma = _luma(4, 32, seed=5)
    # A learnable target: the U bin follows the luma, V is constant.
    targets = {"u": np.floor(luma[..., 0] * 29.99).astype(np.int32), "v": np.full((4, 32, 32), 7, np.int32)}
    history = model.fit(luma, targets, epochs=40, batch_size=4, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


def test_regression_variant_has_one_value_per_axis_and_bin_accuracy(vgg16_weights):
    model = training.compile_color_model(
        color.build_color_model(image_size=32, variant="regression", backbone_weights=vgg16_weights)
    )
    assert color.variant_of(model) == "regression"
    targets = {"u": np.zeros((2, 32, 32, 1), np.float32), "v": np.zeros((2, 32, 32, 1), np.float32)}
    logs = model.evaluate(_luma(2, 32), targets, verbose=0, return_dict=True)
    assert {"u_accuracy", "v_accuracy"} <= set(logs)
    assert tuple(model.get_layer("u").output.shape) == (None, 32, 32, 1)


@pytest.mark.large
def test_the_model_test_harness(tmp_path, vgg16_weights):
    harness.run_model_test(
        color.ColorModel, lambda: color.ColorModel(image_size=32, num_bins=10, backbone_weights=vgg16_weights),
        _luma(2, 32), {"u": (2, 32, 32, 10), "v": (2, 32, 32, 10)}, tmp_path)


def test_a_saved_model_loads_without_fetching_vgg16_again(tmp_path, vgg16_weights, monkeypatch):
    model = color.ColorModel(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block4_conv1")
    model.save(tmp_path / "model.keras")

    def refuse(*arguments, **keywords):
        raise AssertionError("loading a .keras file fetched the VGG16 weights")

    monkeypatch.setattr(backbone, "load_vgg16_weights", refuse)
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    # VGG16's ImageNet weights came from the file; the fine-tuned layers are trainable again.
    np.testing.assert_array_equal(loaded.get_layer("block1_conv1").get_weights()[0], vgg16_weights["block1_conv1"][0])
    assert loaded.fine_tune_from == "block4_conv1" and loaded.get_layer("block4_conv1").trainable
    assert not loaded.get_layer("block3_conv3").trainable


def test_variant_and_bins_are_attributes_and_still_read_off_a_plain_keras_model():
    for variant in ("classification", "regression"):
        model = color.build_color_model(image_size=32, num_bins=12, variant=variant, backbone_weights=None)
        assert isinstance(model, color.ColorModel)
        assert (model.variant, model.num_bins, model.image_size) == (variant, 12, 32)
        plain = keras.Model(model.inputs, model.outputs)  # The same graph, without the attributes.
        assert color.variant_of(plain) == variant == color.variant_of(model)
        # A plain regression graph has no bins of its own: the default stands in, as before.
        assert color.num_bins_of(plain) == (12 if variant == "classification" else 30)
        assert color.num_bins_of(model) == 12


@pytest.mark.parametrize(
    "arguments, message",
    [({"image_size": 30}, "multiple of 8"), ({"num_bins": 1}, "num_bins"), ({"variant": "gan"}, "variant"),
     ({"deepest_tap": "block3_conv3"}, "deepest_tap"), ({"deepest_tap": "block5_conv3", "image_size": 40}, "multiple of 16")],
)
def test_bad_arguments_get_helpful_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        color.build_color_model(backbone_weights=None, **arguments)


def test_a_block5_tap_adds_a_fifth_decoder_level_and_survives_its_config():
    deeper = color.ColorModel(image_size=32, deepest_tap="block5_conv3", backbone_weights=None)
    assert deeper.get_layer("block5_reduce").filters == 512
    assert deeper.get_layer("block4_decode").filters == 256  # Block 4 is now added in, not reduced.
    assert tuple(deeper.get_layer("u").output.shape) == (None, 32, 32, 30)
    assert deeper.count_params() > color.ColorModel(image_size=32, backbone_weights=None).count_params()
    assert color.ColorModel.from_config(deeper.get_config()).get_layer("block5_reduce").filters == 512


# Run in a new process: Keras fixes its backend when it is first imported.
_JAX_FORWARD = """
import sys
import keras
import numpy as np
from colornn_keras.metrics import BinAccuracy
from colornn_keras.models import color

folder = sys.argv[1]
model = color.ColorModel(image_size=32, backbone_weights=None)
model.load_weights(f"{folder}/model.weights.h5")
outputs = model.predict_on_batch(np.load(f"{folder}/luma.npy"))
metric = BinAccuracy(axis="u", num_bins=30)  # Regression's bin accuracy, on JAX arrays.
metric.update_state(keras.ops.convert_to_tensor([[0.0], [0.1]]), keras.ops.convert_to_tensor([[0.001], [0.3]]))
np.savez(f"{folder}/outputs.npz", u=outputs["u"], v=outputs["v"], accuracy=float(metric.result()))
print(keras.backend.backend())
"""


def test_the_color_model_runs_on_jax_as_on_tensorflow(tmp_path):
    import os
    import subprocess
    import sys

    pytest.importorskip("jax")
    model = color.ColorModel(image_size=32, backbone_weights=None)
    model.save_weights(tmp_path / "model.weights.h5")
    luma = _luma(2, 32)
    np.save(tmp_path / "luma.npy", luma)
    result = subprocess.run([sys.executable, "-c", _JAX_FORWARD, str(tmp_path)], capture_output=True, text=True,
                            timeout=600, env={**os.environ, "KERAS_BACKEND": "jax"})
    assert result.returncode == 0 and result.stdout.strip() == "jax", result.stderr[-3000:]
    on_jax = np.load(tmp_path / "outputs.npz")
    on_tensorflow = model.predict_on_batch(luma)
    for axis in ("u", "v"):
        np.testing.assert_allclose(on_jax[axis], on_tensorflow[axis], atol=1e-4)
    assert float(on_jax["accuracy"]) == pytest.approx(0.5)
