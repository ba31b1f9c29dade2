"""The commands of training runs and what they ship: `train`, `evaluate`, `table`, `reproduce`, `presets`.

They run the research tooling (`colornn_keras.research`), imported inside each handler: importing
the command line never loads it, nor TensorFlow. `check_run` refuses, in one line and before any
work, a run folder that this version cannot read (`colornn colorize` checks its runs with it too).
"""

import dataclasses
import pathlib

from colornn_keras import errors


def check_run(run_dir):
    """A one-line error, before any work, for a run folder whose config.json this version cannot
    read (and for the color run a consistency run names)."""
    from colornn_keras.runs import configs
    from colornn_keras.runs import records

    path = pathlib.Path(run_dir) / records.CONFIG_FILE
    if not path.is_file():
        return  # The library says that this is not a run folder.
    recorded = records.read_json(path)
    video_settings = {"consistency": configs.ConsistencyTrainingConfig,
                      "flow_guided": configs.FlowGuidedTrainingConfig}
    if isinstance(recorded, dict) and recorded.get("kind") in video_settings:
        # A video run records its color model's size and bins beside its own settings.
        records.check_settings(path, recorded, video_settings[recorded["kind"]],
                               ("kind", "image_size", "num_bins"))
        if recorded.get("color_run"):
            check_run(recorded["color_run"])
    else:
        records.check_settings(path, recorded, configs.ColorTrainingConfig)


def _split_sizes(values):
    if all(float(value).is_integer() and value >= 1 for value in values):
        return tuple(int(value) for value in values)
    return tuple(float(value) for value in values)


def config_from_arguments(config_class, arguments, **converted):
    """A training config from the parsed options of its fields' names (a field the command line does not
    offer keeps its default); `converted` gives the values that are converted or named otherwise."""
    offered = {field.name: getattr(arguments, field.name) for field in dataclasses.fields(config_class)
               if hasattr(arguments, field.name)}
    return config_class(**{**offered, **converted})


def _resume_run(arguments, verbose):
    """Checks the `--resume` run folder, resumes its training and returns the run folder."""
    from colornn_keras.research import training

    check_run(arguments.resume)
    return training.resume_run(arguments.resume, verbose=verbose, max_minutes=arguments.max_minutes)


def train_color(arguments):
    from colornn_keras.research import training

    verbose = 0 if arguments.quiet else "auto"
    if arguments.resume:
        run_dir = _resume_run(arguments, verbose)
    else:
        if not arguments.data:
            raise errors.ColorNNError("Give --data FOLDER (images to train on) or --resume RUN_DIR.")
        config = config_from_arguments(training.ColorTrainingConfig, arguments, split=_split_sizes(arguments.split),
                                       progressive=tuple(arguments.progressive))
        run_dir = training.train_color_model(config, verbose=verbose)
    from colornn_keras.research.training import distribution

    if not distribution.is_chief():
        print(f"Worker finished; the chief records the run. This worker's weights: {run_dir}")
        return
    print(f"Run recorded in {run_dir}")


def evaluate_color(arguments):
    from colornn_keras.research import training

    check_run(arguments.run)
    _evaluate_and_print(arguments, lambda: training.evaluate_run(arguments.run, arguments.data, arguments.split_from,
                                                                 arguments.weights_file))


def train_consistency(arguments):
    from colornn_keras.research import training

    verbose = 0 if arguments.quiet else "auto"
    if arguments.resume:
        run_dir = _resume_run(arguments, verbose)
    else:
        if not (arguments.videos and arguments.color_run):
            raise errors.ColorNNError("Give --videos FOLDER and --color-run RUN_DIR (or --resume RUN_DIR).")
        check_run(arguments.color_run)
        config = config_from_arguments(training.ConsistencyTrainingConfig, arguments,
                                       split=_split_sizes(arguments.split), max_frames_per_clip=arguments.max_frames)
        run_dir = training.train_consistency_model(config, verbose=verbose)
    print(f"Run recorded in {run_dir}")


def evaluate_consistency(arguments):
    from colornn_keras.research import training

    check_run(arguments.run)

    def evaluate():
        results = training.evaluate_consistency_run(arguments.run, arguments.videos, arguments.keyframes,
                                                    tuple(arguments.parts), arguments.color_weights)
        if arguments.plot:
            from colornn_keras.research import plots

            first_part = next(iter(results.values()))
            plots.plot_accuracy_by_distance(first_part["per_clip"], arguments.plot)
        return results

    _evaluate_and_print(arguments, evaluate)


def train_flow_guided(arguments):
    from colornn_keras.research import training
    from colornn_keras.research.training import flow_guided

    check_run(arguments.color_run)
    config = config_from_arguments(training.FlowGuidedTrainingConfig, arguments, split=_split_sizes(arguments.split),
                                   max_frames_per_clip=arguments.max_frames)
    run_dir = flow_guided.train_flow_guided_model(config, verbose=0 if arguments.quiet else 2,
                                                  cache_dir=arguments.cache_dir)
    print(f"Run recorded in {run_dir}")


def evaluate_flow_guided(arguments):
    from colornn_keras.research.training import flow_guided

    check_run(arguments.run)
    _evaluate_and_print(arguments, lambda: flow_guided.evaluate_flow_guided_run(arguments.run, arguments.videos,
                                                                               tuple(arguments.parts)))


def _evaluate_and_print(arguments, evaluate):
    import json

    from colornn_keras.research import experiments

    output = pathlib.Path(arguments.output) if arguments.output else None
    if output is not None and output.exists() and not arguments.overwrite:
        raise errors.OutputError(f"{output} exists; pass --overwrite to replace it.")  # Checked before the work.
    results = evaluate()
    if output is not None:
        experiments.write_json(output, results)
    print(json.dumps(results, indent=2))


def show_table(arguments):
    from colornn_keras.research import tables

    print(tables.runs_table(arguments.runs))


def list_presets(arguments):
    from colornn_keras import presets

    if arguments.refresh:
        from colornn_keras.research import manifest

        manifest.refresh_manifest(project_root=arguments.project_root)
    print(presets.markdown_table() if arguments.markdown else presets.text_listing(), end="")


def reproduce(arguments):
    from colornn_keras.research import reproduction

    if arguments.resume:
        folder = pathlib.Path(arguments.resume)
    else:
        if not (arguments.data and arguments.videos):
            raise errors.ColorNNError("Give --data STILLS_DIR and --videos VIDEOS_DIR (or --resume FOLDER).")
        folder = reproduction.start(
            arguments.data, arguments.videos, arguments.profile, arguments.runs_root, arguments.image_size,
            _split_sizes(arguments.clip_split) if arguments.clip_split else None, arguments.precision, arguments.seed)
    finished = reproduction.run(folder, arguments.max_minutes, verbose=0 if arguments.quiet else "auto")
    print(f"Report {'written' if finished else 'of the stages so far written'}: {folder / reproduction.REPORT_FILE}")
