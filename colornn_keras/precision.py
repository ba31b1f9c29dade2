"""Choosing the numeric precision: bfloat16 where the hardware computes it fast, float32 otherwise."""

import pathlib

import tensorflow as tf

from colornn_keras import defaults

PRECISIONS = defaults.PRECISIONS
_POLICY_NAMES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
# CPU flags that mean bfloat16 matrix products run in hardware (Intel AMX / AVX-512 BF16).
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags():
    """The CPU feature flags of this machine (empty where /proc/cpuinfo is not available)."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def hardware_supports_bfloat16():
    """True where a GPU is visible or the CPU has bfloat16 instructions."""
    if tf.config.list_physical_devices("GPU"):
        return True
    return bool(cpu_flags() & set(BF16_CPU_FLAGS))


def resolve_dtype_policy(precision="auto"):
    """Maps "auto" | "float32" | "bfloat16" to a Keras dtype policy name.

    "bfloat16" means `mixed_bfloat16`: variables stay float32, computation runs in bfloat16;
    the models keep their softmax heads and losses in float32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    if precision == "auto":
        precision = "bfloat16" if hardware_supports_bfloat16() else "float32"
    return _POLICY_NAMES[precision]
