"""Every lab notebook runs top to bottom as in a fresh clone, so that none can rot.

A fresh clone has no data folder: the notebooks then fall back to a small sample built from a
photograph that ships with matplotlib, and say how to point them at real data. The kernel inherits
this process's environment, so the tests remove COLORNN_DATA and COLORNN_VIDEOS first.
"""

import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from colornn_keras.research import samples

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
TIME_LIMIT_SECONDS = 600  # A cell that runs longer has lost the "few minutes on a laptop" promise.


def test_there_are_three_lab_notebooks_committed_without_outputs():
    assert [path.stem for path in NOTEBOOKS] == ["01_color_space_and_bins", "02_color_model", "03_consistency_model"]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"
        solutions = [cell for cell in notebook.cells if "solution" in cell.metadata.get("tags", [])]
        assert solutions and all(cell.metadata["jupyter"]["source_hidden"] for cell in solutions), path.name
        assert any("## Exercises" in cell.source for cell in notebook.cells if cell.cell_type == "markdown"), path.name


def test_every_cell_has_a_unique_id_as_nbformat_4_5_requires():
    # nbformat warns of a missing id today and will refuse the notebook in a later version.
    for path in NOTEBOOKS:
        raw = json.loads(path.read_text())
        ids = [cell.get("id") for cell in raw["cells"]]
        assert None not in ids and len(set(ids)) == len(ids), path.name


def test_notebooks_say_they_are_python_so_that_nbconvert_writes_py_scripts():
    for path in NOTEBOOKS:
        metadata = nbformat.read(path, as_version=4).metadata
        assert metadata["kernelspec"]["language"] == "python", path.name
        # nbconvert's script exporter takes the file's extension from here; without it, ".txt".
        assert metadata["language_info"]["name"] == "python", path.name
        assert metadata["language_info"]["file_extension"] == ".py", path.name


@pytest.mark.large
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_executes_in_a_fresh_folder_without_data(path, vgg16_weights, tmp_path, monkeypatch):
    variables = ("COLORNN_DATA", "COLORNN_VIDEOS")
    for variable in variables:
        monkeypatch.delenv(variable, raising=False)
    notebook = nbformat.read(path, as_version=4)
    # Run from an empty notebooks folder of its own, so that what the lab writes stays in tmp_path
    # and no data folder is found beside it.
    folder = tmp_path / "notebooks"
    folder.mkdir()
    client = NotebookClient(notebook, timeout=TIME_LIMIT_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    # The first cell's output says that a sample stands in, and how to use real data instead.
    said = "".join(output.get("text", "") for output in notebook.cells[1].outputs)
    assert "No data folder found" in said and any(f"{variable}=" in said for variable in variables), said
    assert any((folder / samples.SAMPLES_FOLDER).iterdir())
    images = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
              if "image/png" in output.get("data", {})]
    assert len(images) >= 2, "each lab draws its pictures"
