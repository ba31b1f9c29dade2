"""A finished run read back as its models: what `color_run=`, `consistency_run=` and
`flow_guided_run=` colour with, and what a later run stands on.

The model is rebuilt from the settings the run recorded (config.json, checked by
`records.read_run_config`) and its trained part loaded into it; the frozen VGG16 comes from its
ImageNet source, as for a preset.
"""

import pathlib

from colornn_keras import errors
from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import flow_guided as flow_guided_models
from colornn_keras.models import recurrent as recurrent_models
from colornn_keras.runs import configs
from colornn_keras.runs import records

# A video run's config.json records its color model's size and bins beside its own settings.
VIDEO_RUN_EXTRAS = ("image_size", "num_bins")
_VIDEO_SETTINGS = {"consistency": configs.ConsistencyTrainingConfig, "flow_guided": configs.FlowGuidedTrainingConfig}


def read_color_config(run_dir):
    """(settings, dtype policy) of a color run: its `ColorTrainingConfig` and the policy it trained in."""
    config, _ = records.read_run_config(run_dir, "color", configs.ColorTrainingConfig)
    dtype_policy = records.read_json(pathlib.Path(run_dir) / records.ENVIRONMENT_FILE)["dtype_policy"]
    return config, dtype_policy


def read_video_config(run_dir, kind):
    """(settings, recorded) of a "consistency" or "flow_guided" run: its config class, and the whole
    config.json (which also holds its color model's image size and bins)."""
    return records.read_run_config(run_dir, kind, _VIDEO_SETTINGS[kind], VIDEO_RUN_EXTRAS)


def color_model_of(config, dtype_policy=None, image_size=None, synchronized_batch_norm=False):
    """The untrained color model a `ColorTrainingConfig` describes (at `image_size`, where a
    progressive run trains smaller first)."""
    return color_models.ColorModel(
        image_size=image_size or config.image_size, num_bins=config.num_bins, variant=config.variant,
        dtype=dtype_policy, synchronized_batch_norm=synchronized_batch_norm, fine_tune_from=config.fine_tune_from,
        deepest_tap=config.deepest_tap,
    )


def video_model_of(color_model, config):
    """The untrained model a `ConsistencyTrainingConfig` describes, on `color_model`: a
    `ConsistencyModel`, or a `RecurrentConsistencyModel` (its sequence graph trains)."""
    if config.model == "recurrent":
        return recurrent_models.RecurrentConsistencyModel(color_model, config.window, config.hidden_filters,
                                                          config.filters)
    return consistency_models.ConsistencyModel(color_model, config.context_filters, config.filters, config.residual)


def video_trained_part_file(config):
    """The trained-part file of a consistency run of `config`, by its model."""
    if config.model == "recurrent":
        return records.RECURRENT_TRAINED_PART_FILE
    return records.CONSISTENCY_TRAINED_PART_FILE


def _finished(run_dir, file_name):
    path = pathlib.Path(run_dir) / file_name
    if not path.is_file():
        raise errors.RunRecordError(f"Run {run_dir} has no trained weights ({file_name}); has it finished?")
    return path


def load_color_run(run_dir, weights=None):
    """(color model, settings) of a finished color run.

    Args:
        run_dir: a color run folder.
        weights: another trained-part file of the same model (such as the one shipped from the
            run) to load instead of the run's own.
    """
    config, dtype_policy = read_color_config(run_dir)
    if weights is not None and not pathlib.Path(weights).is_file():
        raise errors.WeightsError(f"Weights file {weights} does not exist.")
    path = pathlib.Path(weights) if weights is not None else _finished(run_dir, records.COLOR_TRAINED_PART_FILE)
    return checkpoints.load_trained_part(color_model_of(config, dtype_policy), path), config


def load_consistency_run(run_dir, color_weights=None):
    """(color model, consistency model, settings) of a finished consistency run; `color_weights`
    loads another trained-part file of its color run's model (the one shipped from it) than the
    one the run trained on."""
    config, _ = read_video_config(run_dir, "consistency")
    color_model, _ = load_color_run(config.color_run, color_weights or config.color_weights)
    model = video_model_of(color_model, config)
    checkpoints.load_trained_part(model, pathlib.Path(run_dir) / video_trained_part_file(config))
    return color_model, model, config


def load_flow_guided_run(run_dir):
    """(color model, flow-guided model, settings) of a finished flow-guided run."""
    config, _ = read_video_config(run_dir, "flow_guided")
    path = _finished(run_dir, records.FLOW_GUIDED_TRAINED_PART_FILE)
    color_model, _ = load_color_run(config.color_run)
    model = flow_guided_models.FlowGuidedModel(config.filters)
    checkpoints.load_trained_part(model, path)
    return color_model, model, config
