import pytest

from colornn_keras import precision


@pytest.fixture
def cpu_only(monkeypatch):
    """A machine without a GPU, whose auto choice is made afresh (not the process's cached one)."""
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.setattr(precision, "_auto_choice", None)
    return monkeypatch


def test_explicit_precisions_map_to_keras_policies():
    assert precision.resolve_dtype_policy("float32") == "float32"
    assert precision.resolve_dtype_policy("bfloat16") == "mixed_bfloat16"
    assert "asked for" in precision.choose_precision("float32").reason


@pytest.mark.parametrize("flags", [{"avx2", "avx512f"}, {"avx2"}, set()])
def test_auto_is_float32_where_the_cpu_would_emulate_bfloat16(cpu_only, flags):
    cpu_only.setattr(precision, "cpu_flags", lambda: flags)
    cpu_only.setattr(precision, "measure_bfloat16_speedup", lambda: pytest.fail("no check without the flags"))
    choice = precision.choose_precision("auto")
    assert choice.dtype_policy == "float32"
    assert "no bfloat16 instructions" in choice.reason


@pytest.mark.parametrize("flag", ["amx_bf16", "avx512_bf16"])
def test_auto_is_bfloat16_where_the_cpu_has_it_and_the_check_confirms(cpu_only, flag):
    cpu_only.setattr(precision, "cpu_flags", lambda: {"avx2", flag})
    cpu_only.setattr(precision, "measure_bfloat16_speedup", lambda: 1.6)
    choice = precision.choose_precision("auto")
    assert choice.dtype_policy == "mixed_bfloat16"
    assert flag in choice.reason and "1.6x" in choice.reason
    assert choice.record() == {"precision_reason": choice.reason, "bfloat16_measured_speedup": 1.6}


def test_auto_stays_float32_when_the_check_finds_bfloat16_no_faster(cpu_only):
    cpu_only.setattr(precision, "cpu_flags", lambda: {"avx512_bf16"})
    cpu_only.setattr(precision, "measure_bfloat16_speedup", lambda: 0.9)
    choice = precision.choose_precision("auto")
    assert choice.dtype_policy == "float32"
    assert "below" in choice.reason


def test_auto_without_the_check_follows_the_flags(cpu_only):
    cpu_only.setattr(precision, "cpu_flags", lambda: {"amx_bf16"})
    cpu_only.setattr(precision, "measure_bfloat16_speedup", lambda: pytest.fail("measure=False measures nothing"))
    assert precision.choose_precision("auto", measure=False).dtype_policy == "mixed_bfloat16"


def test_auto_is_decided_once_per_process(cpu_only):
    calls = []
    cpu_only.setattr(precision, "cpu_flags", lambda: {"amx_bf16"})
    cpu_only.setattr(precision, "measure_bfloat16_speedup", lambda: calls.append(1) or 2.0)
    assert precision.resolve_dtype_policy("auto") == precision.resolve_dtype_policy("auto") == "mixed_bfloat16"
    assert len(calls) == 1


def test_a_gpu_means_bfloat16(monkeypatch):
    monkeypatch.setattr(precision, "_auto_choice", None)
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: ["GPU:0"])
    assert precision.choose_precision("auto").dtype_policy == "mixed_bfloat16"


def test_the_measured_check_runs_and_gives_a_ratio():
    speedup = precision.measure_bfloat16_speedup(repeats=1)
    assert 0.01 < speedup < 100


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.choose_precision("fp16")
