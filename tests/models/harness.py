"""One check every model class passes, after keras-hub's `TestCase.run_backbone_test`: output
shapes, the config round trip, mixed precision, and a `.keras` save/load round trip.

Every model class in `colornn_keras.models` goes through it. The flow models (`FlowGuidedModel`,
`FlowSmoothingModel`) skip the mixed-precision part: they only ever run in float32 (their runs
train in float32 and nothing builds them under another policy), and the smoothing model has no
weights to hold in float32 at all.
"""

import inspect

import keras
import numpy as np

# Layers that compute in float32 whatever the model's policy: the heads (softmax and losses in
# float32) and the recurrent model's memory (a cell state summed in bfloat16 diverged).
FLOAT32_LAYERS = ("u_logits", "v_logits", "u", "v", "memory")


def _arrays(outputs):
    """A model's outputs as {name: float32 array}; a single unnamed output is "output"."""
    if not isinstance(outputs, dict):
        outputs = {"output": outputs}
    return {key: np.asarray(value, np.float32) for key, value in outputs.items()}


def _layers(model):
    """The model's layers, those of the models nested in it included."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer


def run_model_test(cls, build, input_data, expected_output_shapes, tmp_path, distributions=("u", "v"),
                   mixed_precision=True):
    """Checks the model `build()` returns (an instance of `cls`).

    Args:
        cls: the model class.
        build: a function of no arguments that builds a fresh model (and whatever it stands on)
            under the global dtype policy.
        input_data: a batch the model takes.
        expected_output_shapes: {output name: shape}; a model with one unnamed output names it "output".
        tmp_path: a folder for the `.keras` file.
        distributions: the outputs that are distributions over bins (they sum to one); the others
            (decoded colours) need only be finite.
        mixed_precision: False for a model that only ever runs in float32 (see the module's docstring).
    """
    model = build()
    assert isinstance(model, cls)

    # Output shapes; distributions that sum to one, and finite values everywhere.
    outputs = _arrays(model(input_data))
    assert {key: value.shape for key, value in outputs.items()} == expected_output_shapes
    assert set(distributions) <= set(outputs)
    for key, value in outputs.items():
        assert np.isfinite(value).all(), key
        if key in distributions:
            np.testing.assert_allclose(value.sum(-1), 1.0, atol=1e-4, err_msg=key)

    # get_config returns exactly the constructor's arguments, and from_config rebuilds the same model.
    config = model.get_config()
    arguments = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    assert set(config) == arguments
    revived = cls.from_config(config)
    assert type(revived) is cls
    assert revived.get_config() == config
    assert [tuple(weight.shape) for weight in revived.weights] == [tuple(weight.shape) for weight in model.weights]

    # Saved and loaded: the same class, the same config, identical outputs.
    path = tmp_path / f"{cls.__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is cls
    assert loaded.get_config() == config
    for key, value in _arrays(loaded(input_data)).items():
        np.testing.assert_array_equal(value, outputs[key], err_msg=key)

    # Mixed precision: the body computes in bfloat16 with float32 variables; the outputs are float32.
    if not mixed_precision:
        return
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        mixed = build()
    finally:
        keras.config.set_dtype_policy("float32")
    body = [layer for layer in _layers(mixed) if layer.weights and layer.name not in FLOAT32_LAYERS]
    assert body
    for layer in body:
        assert layer.compute_dtype == "bfloat16", layer.name
        assert layer.variable_dtype == "float32", layer.name
    for key, value in mixed(input_data).items():
        assert value.dtype == "float32", key
        assert np.isfinite(np.asarray(value, np.float32)).all(), key
