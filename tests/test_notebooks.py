"""Every lab notebook runs top to bottom on small made-up data, so that none can rot.

The notebooks read their data folders from the environment (COLORNN_DATA, COLORNN_VIDEOS), which
the kernel inherits from this process; their own defaults point at the project's data.
"""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_executes(path, image_folder, clip_folder, vgg16_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("COLORNN_DATA", str(image_folder))
    monkeypatch.setenv("COLORNN_VIDEOS", str(clip_folder))
    notebook = nbformat.read(path, as_version=4)
    # Run in a copy of the notebooks folder's place, so that runs the labs write stay in tmp_path.
    (tmp_path / "notebooks").mkdir()
    client = NotebookClient(notebook, timeout=TIME_LIMIT_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path / "notebooks")}})
    client.execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    images = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
              if "image/png" in output.get("data", {})]
    assert len(images) >= 2, "each lab draws its pictures"
