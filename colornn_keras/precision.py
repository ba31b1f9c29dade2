"""Choosing the numeric precision: bfloat16 where the hardware computes it fast, float32 otherwise.

`--precision auto` decides from the CPU's flags: with AMX or AVX-512 BF16 the CPU multiplies
bfloat16 in hardware and `mixed_bfloat16` trains 1.5-2x faster; with AVX2 only, bfloat16 is
emulated and float32 is the fast path. Where the flags say bfloat16, a short measured check (one
convolution of VGG16's size in both precisions, well under a second) confirms it, so a CPU whose
flags promise more than its libraries deliver stays in float32. The choice and its reason go in
each run's `environment.json`.
"""

import dataclasses
import pathlib
import time

import tensorflow as tf

from colornn_keras import defaults

PRECISIONS = defaults.PRECISIONS
_POLICY_NAMES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
# CPU flags that mean bfloat16 matrix products run in hardware (Intel AMX / AVX-512 BF16).
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
# bfloat16 must be at least this much faster in the measured check to be chosen: a tie is not
# worth its rounding.
MIN_MEASURED_SPEEDUP = 1.1


@dataclasses.dataclass(frozen=True)
class PrecisionChoice:
    """What `--precision` became on this machine, and why (recorded in environment.json)."""

    precision: str  # "float32" or "bfloat16"
    reason: str
    measured_speedup: float | None = None  # bfloat16 over float32 in the check, where it ran

    @property
    def dtype_policy(self):
        return _POLICY_NAMES[self.precision]

    def record(self):
        return {"precision_reason": self.reason, "bfloat16_measured_speedup": self.measured_speedup}


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


def measure_bfloat16_speedup(repeats=3):
    """float32 time over bfloat16 time of one 3×3 convolution the size of VGG16's block 3
    (8 × 32×32×256 → 256, about 4.8 GFLOP), best of `repeats` after a warm-up."""
    def best_seconds(dtype):
        images = tf.random.stateless_uniform((8, 32, 32, 256), seed=(1, 2), dtype=dtype)
        kernel = tf.random.stateless_uniform((3, 3, 256, 256), seed=(3, 4), dtype=dtype)
        convolve = tf.function(lambda: tf.nn.conv2d(images, kernel, 1, "SAME"))
        convolve().numpy()  # Traces and warms up.
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            convolve().numpy()
            times.append(time.perf_counter() - start)
        return min(times)

    return best_seconds(tf.float32) / best_seconds(tf.bfloat16)


_auto_choice = None  # Measured once per process.


def choose_precision(precision="auto", measure=True):
    """A `PrecisionChoice` for "auto" | "float32" | "bfloat16".

    "auto": bfloat16 on a GPU, or on a CPU with AMX / AVX-512 BF16 where the measured check
    (`measure`) finds it at least `MIN_MEASURED_SPEEDUP` times faster; float32 otherwise.
    """
    global _auto_choice
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    if precision != "auto":
        return PrecisionChoice(precision, f"--precision {precision} asked for")
    if _auto_choice is not None and measure:
        return _auto_choice
    if tf.config.list_physical_devices("GPU"):
        choice = PrecisionChoice("bfloat16", "auto: a GPU computes bfloat16 in hardware")
    else:
        flags = sorted(cpu_flags() & set(BF16_CPU_FLAGS))
        if not flags:
            choice = PrecisionChoice("float32", "auto: the CPU has no bfloat16 instructions (no amx_bf16 or "
                                                "avx512_bf16 flag), so bfloat16 would be emulated")
        elif not measure:
            choice = PrecisionChoice("bfloat16", f"auto: the CPU computes bfloat16 in hardware ({', '.join(flags)})")
        else:
            speedup = round(measure_bfloat16_speedup(), 2)
            fast = speedup >= MIN_MEASURED_SPEEDUP
            choice = PrecisionChoice(
                "bfloat16" if fast else "float32",
                f"auto: the CPU has {', '.join(flags)} and a measured convolution ran {speedup}x as fast in "
                f"bfloat16 ({'at least' if fast else 'below'} the {MIN_MEASURED_SPEEDUP}x this choice asks)",
                speedup)
    if measure:
        _auto_choice = choice
    return choice


def resolve_dtype_policy(precision="auto"):
    """Maps "auto" | "float32" | "bfloat16" to a Keras dtype policy name (see `choose_precision`).

    "bfloat16" means `mixed_bfloat16`: variables stay float32, computation runs in bfloat16;
    the models keep their softmax heads and losses in float32.
    """
    return choose_precision(precision).dtype_policy
