import types

from colornn_keras.research.training import callbacks


def _limits(tmp_path, epochs, max_minutes):
    limits = callbacks.RunLimits(tmp_path, max_minutes=max_minutes)
    limits.set_params({"epochs": epochs})
    limits.set_model(types.SimpleNamespace(stop_training=False))
    limits.on_train_begin()
    return limits


def test_a_spent_time_budget_stops_before_another_epoch_but_not_after_the_last(tmp_path):
    spent = _limits(tmp_path, epochs=3, max_minutes=0.0)  # Any epoch takes longer than no time.
    spent.on_epoch_begin(0)
    spent.on_epoch_end(0)
    assert spent.reason == "time budget" and spent.model.stop_training
    finished = _limits(tmp_path, epochs=1, max_minutes=0.0)
    finished.on_epoch_begin(0)
    finished.on_epoch_end(0)  # No epoch was left to run: the epoch limit ended it.
    assert finished.reason is None and not finished.model.stop_training


def test_a_stop_file_stops_even_after_the_last_epoch(tmp_path):
    (tmp_path / callbacks.STOP_FILE).touch()
    limits = _limits(tmp_path, epochs=1, max_minutes=None)
    limits.on_epoch_begin(0)
    limits.on_epoch_end(0)
    assert limits.reason == "stop file"
