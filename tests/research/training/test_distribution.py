"""Distributed training: the chief rule, strategy choice, and two real workers on localhost."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import h5py
import numpy as np
import pytest

from colornn_keras.research import experiments
from colornn_keras.research import training
from colornn_keras.research.training import distribution
from colornn_keras.runs import records


def _tf_config(task_type, index, cluster):
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})


def test_the_chief_is_the_chief_task_or_else_worker_zero(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribution.is_chief()
    workers = {"worker": ["a:1", "b:2"]}
    monkeypatch.setenv("TF_CONFIG", _tf_config("worker", 0, workers))
    assert distribution.is_chief()
    monkeypatch.setenv("TF_CONFIG", _tf_config("worker", 1, workers))
    assert not distribution.is_chief()
    with_chief = {"chief": ["c:0"], **workers}
    monkeypatch.setenv("TF_CONFIG", _tf_config("worker", 0, with_chief))
    assert not distribution.is_chief()
    monkeypatch.setenv("TF_CONFIG", _tf_config("chief", 0, with_chief))
    assert distribution.is_chief()
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG"):
        distribution.is_chief()


def test_strategy_names_are_checked(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribution.strategy_from("auto").num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="distribute must be one of"):
        distribution.strategy_from("horovod")
    with pytest.raises(ValueError, match="TF_CONFIG"):
        distribution.strategy_from("multi_worker")
    with pytest.raises(ValueError, match="distribute must be one of"):
        training.ColorTrainingConfig(data="photos", distribute="horovod")


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for open_socket in sockets:
        open_socket.bind(("localhost", 0))
    ports = [open_socket.getsockname()[1] for open_socket in sockets]
    for open_socket in sockets:
        open_socket.close()
    return ports


def _weights(path):
    values = {}
    with h5py.File(path, "r") as file:
        file.visititems(lambda name, item: values.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return values


@pytest.mark.large
def test_two_workers_on_localhost_train_to_identical_weights_and_the_chief_records(image_folder, tmp_path, vgg16_weights):
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    runs_root = tmp_path / "experiments"
    command = [sys.executable, "-m", "colornn_keras.cli", "train", "color", "--data", str(image_folder),
               "--image-size", "32", "--batch-size", "2", "--epochs", "2", "--split", "6", "3", "3",
               "--precision", "float32", "--distribute", "multi_worker", "--runs-root", str(runs_root),
               "--name", "two_workers", "--quiet"]
    workers = [
        subprocess.Popen(command, env={**os.environ, "TF_CONFIG": _tf_config("worker", index, cluster)},
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for index in range(2)
    ]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    (run_dir,) = runs_root.iterdir()  # One record, written by the chief alone.
    assert "Run recorded in" in outputs[0] and "the chief records the run" in outputs[1]
    environment = records.read_json(run_dir / records.ENVIRONMENT_FILE)
    assert environment["distribution"]["replicas"] == 2
    history = experiments.read_history(run_dir / records.HISTORY_FILE)
    assert [row["epoch"] for row in history] == [0, 1] and all(np.isfinite(row["loss"]) for row in history)
    assert (run_dir / records.METRICS_FILE).is_file()

    worker_dir = outputs[1].strip().splitlines()[-1].split("This worker's weights: ")[1]
    chief, worker = (_weights(pathlib.Path(folder) / records.COLOR_TRAINED_PART_FILE) for folder in (run_dir, worker_dir))
    assert chief.keys() == worker.keys() and len(chief) > 10
    for name in chief:
        np.testing.assert_array_equal(chief[name], worker[name], err_msg=name)
