import keras
import numpy as np
import pytest

from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import consistency
from tests.models import harness


@pytest.fixture
def color_model(vgg16_weights):
    return color.build_color_model(image_size=32, num_bins=12, backbone_weights=vgg16_weights)


def _inputs(batch=2, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "luma": rng.random((batch, 32, 32, 1)).astype(np.float32),
        "previous_uv": (rng.random((batch, 32, 32, 2)).astype(np.float32) - 0.5) * 0.6,
    }


def test_shapes_and_heads(color_model):
    model = consistency.build_consistency_model(color_model)
    outputs = model(_inputs())
    assert outputs["u"].shape == (2, 32, 32, 12) and outputs["v"].dtype == "float32"
    np.testing.assert_allclose(np.sum(outputs["v"], -1), 1.0, atol=1e-5)


@pytest.mark.large
def test_only_the_new_layers_train_and_the_color_model_stays_identical(color_model):
    model = consistency.build_consistency_model(color_model)
    trained = {layer.name for layer in checkpoints.trained_layers(model)}
    assert trained == {"context_conv", "consistency_conv1", "consistency_conv2", "u_logits", "v_logits"}
    model.compile(optimizer="adam", loss={"u": "sparse_categorical_crossentropy", "v": "sparse_categorical_crossentropy"})
    before = [weight.numpy().copy() for weight in color_model.weights]
    targets = {axis: np.random.default_rng(1).integers(0, 12, (2, 32, 32)) for axis in ("u", "v")}
    model.train_on_batch(_inputs(), targets)
    for old, weight in zip(before, color_model.weights):
        np.testing.assert_array_equal(old, weight.numpy())


@pytest.mark.large
def test_the_context_head_is_the_models_own_layers_fed_the_color_models_features(color_model):
    model = consistency.build_consistency_model(color_model)
    head = model.context_head()
    assert {layer.name for layer in checkpoints.trained_layers(head)} == {
        layer.name for layer in checkpoints.trained_layers(model)}
    assert head.get_layer("consistency_conv2") is model.get_layer("consistency_conv2")
    inputs = _inputs()
    features = model.get_layer(color.FEATURES_MODEL).predict_on_batch(inputs["luma"])
    from_features = head.predict_on_batch({"features": features, "previous_uv": inputs["previous_uv"]})
    np.testing.assert_allclose(from_features["v"], model.predict_on_batch(inputs)["v"], atol=1e-6)
    # Training the head trains the model: its weights are the model's.
    head.compile(optimizer="adam", loss={"u": "sparse_categorical_crossentropy", "v": "sparse_categorical_crossentropy"})
    before = model.get_layer("context_conv").get_weights()[0].copy()
    targets = {axis: np.random.default_rng(1).integers(0, 12, (2, 32, 32)) for axis in ("u", "v")}
    head.train_on_batch({"features": features, "previous_uv": inputs["previous_uv"]}, targets)
    assert not np.array_equal(before, model.get_layer("context_conv").get_weights()[0])


@pytest.mark.large
def test_the_residual_model_starts_as_the_color_model_and_trains_only_its_correction(color_model):
    model = consistency.build_consistency_model(color_model, residual=True)
    inputs = _inputs()
    # The correction starts at zero: whatever the previous colours, the color model's own output.
    for previous_uv in (inputs["previous_uv"], -inputs["previous_uv"]):
        outputs = model.predict_on_batch({**inputs, "previous_uv": previous_uv})
        np.testing.assert_allclose(outputs["u"], color_model.predict_on_batch(inputs["luma"])["u"], atol=1e-6)
    assert {layer.name for layer in checkpoints.trained_layers(model)} == {
        "context_conv", "consistency_conv1", "consistency_conv2", "u_logits", "v_logits"}
    head = model.context_head()
    features = model.get_layer(color.FEATURES_MODEL).predict_on_batch(inputs["luma"])
    head.compile(optimizer="adam", loss={"u": "sparse_categorical_crossentropy", "v": "sparse_categorical_crossentropy"})
    color_heads = [weight.numpy().copy() for weight in color_model.get_layer("u_logits").weights]
    targets = {axis: np.random.default_rng(1).integers(0, 12, (2, 32, 32)) for axis in ("u", "v")}
    for _ in range(3):
        head.train_on_batch({"features": features, "previous_uv": inputs["previous_uv"]}, targets)
    for old, weight in zip(color_heads, color_model.get_layer("u_logits").weights):
        np.testing.assert_array_equal(old, weight.numpy())  # The color model's heads stay frozen.
    trained = model.predict_on_batch(inputs)
    assert not np.allclose(trained["u"], color_model.predict_on_batch(inputs["luma"])["u"], atol=1e-4)
    np.testing.assert_allclose(head.predict_on_batch({"features": features, "previous_uv": inputs["previous_uv"]})["u"],
                               trained["u"], atol=1e-6)


@pytest.mark.large
def test_a_residual_model_saves_and_loads_as_residual(tmp_path, color_model):
    model = consistency.build_consistency_model(color_model, residual=True)
    model.get_layer("v_logits").kernel.assign(np.full(model.get_layer("v_logits").kernel.shape, 0.01, np.float32))
    inputs = _inputs()
    expected = model.predict(inputs, verbose=0)["v"]
    model.save(tmp_path / "residual.keras")
    loaded = keras.saving.load_model(tmp_path / "residual.keras")
    assert loaded.residual
    np.testing.assert_array_equal(loaded.predict(inputs, verbose=0)["v"], expected)
    path = checkpoints.save_trained_part(model, tmp_path / "residual.trained.h5")
    fresh = consistency.build_consistency_model(color_model, residual=True)
    checkpoints.load_trained_part(fresh, path)
    np.testing.assert_array_equal(fresh.predict(inputs, verbose=0)["v"], expected)


def test_previous_colours_change_the_output(color_model):
    model = consistency.build_consistency_model(color_model)
    inputs = _inputs()
    other = {**inputs, "previous_uv": -inputs["previous_uv"]}
    assert not np.allclose(model(inputs)["u"], model(other)["u"])


@pytest.mark.large
def test_the_model_test_harness(tmp_path, vgg16_weights):
    def build():
        return consistency.ConsistencyModel(
            color.ColorModel(image_size=32, num_bins=12, backbone_weights=vgg16_weights), context_filters=8, filters=16)

    harness.run_model_test(consistency.ConsistencyModel, build, _inputs(), {"u": (2, 32, 32, 12), "v": (2, 32, 32, 12)},
                           tmp_path)


def test_a_loaded_model_brings_its_color_model_back_identical(tmp_path, color_model):
    model = consistency.build_consistency_model(color_model)
    assert isinstance(model, consistency.ConsistencyModel) and model.color_model is color_model
    # Only the new layers' weights are the model's trainable ones (not the color model's heads).
    assert len(model.trainable_weights) == 2 * 5
    model.save(tmp_path / "consistency.keras")
    loaded = keras.saving.load_model(tmp_path / "consistency.keras")
    luma = _inputs()["luma"]
    np.testing.assert_array_equal(loaded.color_model.predict(luma, verbose=0)["u"], color_model.predict(luma, verbose=0)["u"])
    assert not loaded.color_model.get_layer(color.FEATURES_LAYER).trainable


def test_trained_part_round_trip(tmp_path, color_model):
    model = consistency.build_consistency_model(color_model)
    path = checkpoints.save_trained_part(model, tmp_path / "consistency.trained.h5")
    fresh = consistency.build_consistency_model(color_model)
    checkpoints.load_trained_part(fresh, path)
    inputs = _inputs()
    np.testing.assert_array_equal(model.predict(inputs, verbose=0)["v"], fresh.predict(inputs, verbose=0)["v"])


def test_regression_color_models_are_refused(vgg16_weights):
    regression = color.build_color_model(image_size=32, variant="regression", backbone_weights=vgg16_weights)
    with pytest.raises(ValueError, match="classification"):
        consistency.build_consistency_model(regression)


def _sequence(count=4):
    rng = np.random.default_rng(2)
    luma = [rng.random((32, 32, 1)).astype(np.float32) for _ in range(count)]
    true_uv = [np.full((32, 32, 2), 0.05 * index, np.float32) for index in range(count)]
    return luma, true_uv


def test_sequence_modes_use_the_right_model_and_context(color_model):
    model = consistency.build_consistency_model(color_model)
    luma, true_uv = _sequence()
    per_frame = list(consistency.predict_sequence(color_model, None, luma, "per_frame"))
    free = list(consistency.predict_sequence(color_model, model, luma, "free_running"))
    forced = list(consistency.predict_sequence(color_model, model, luma, "teacher_forced", true_uv_frames=true_uv))
    # Frame 0 has no context in any mode: the color model colours it.
    np.testing.assert_allclose(free[0]["u"], per_frame[0]["u"], atol=1e-6)
    np.testing.assert_allclose(forced[0]["u"], per_frame[0]["u"], atol=1e-6)
    # Later frames: the consistency model, fed different contexts in the two modes.
    assert not np.allclose(free[1]["u"], per_frame[1]["u"])
    assert not np.allclose(free[2]["u"], forced[2]["u"])
    expected = model.predict_on_batch({"luma": luma[2][None], "previous_uv": true_uv[1][None]})["u"][0]
    np.testing.assert_allclose(forced[2]["u"], expected, atol=1e-6)
    expected_free = model.predict_on_batch({"luma": luma[2][None], "previous_uv": free[1]["uv"][None]})["u"][0]
    np.testing.assert_allclose(free[2]["u"], expected_free, atol=1e-6)


def test_a_scene_cut_resets_the_context_to_the_color_model(color_model):
    model = consistency.build_consistency_model(color_model)
    luma, _ = _sequence()
    per_frame = list(consistency.predict_sequence(color_model, None, luma, "per_frame"))
    with_cut = list(consistency.predict_sequence(color_model, model, luma, "free_running", cuts=[False, False, True, False]))
    np.testing.assert_allclose(with_cut[2]["u"], per_frame[2]["u"], atol=1e-6)
    assert not np.allclose(with_cut[3]["u"], per_frame[3]["u"])
    with pytest.raises(ValueError, match="ground-truth"):
        list(consistency.predict_sequence(color_model, model, luma, "teacher_forced"))
