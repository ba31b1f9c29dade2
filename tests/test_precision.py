import pytest

from colornn_keras import precision


def test_explicit_precisions_map_to_keras_policies():
    assert precision.resolve_dtype_policy("float32") == "float32"
    assert precision.resolve_dtype_policy("bfloat16") == "mixed_bfloat16"


def test_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(precision, "hardware_supports_bfloat16", lambda: True)
    assert precision.resolve_dtype_policy("auto") == "mixed_bfloat16"
    monkeypatch.setattr(precision, "hardware_supports_bfloat16", lambda: False)
    assert precision.resolve_dtype_policy("auto") == "float32"


def test_cpu_flags_decide_bfloat16_support(monkeypatch):
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "amx_bf16"})
    assert precision.hardware_supports_bfloat16()
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2"})
    assert not precision.hardware_supports_bfloat16()


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.resolve_dtype_policy("fp16")
