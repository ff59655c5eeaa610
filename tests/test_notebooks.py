"""The three notebooks run top to bottom in their small mode (VAEGAN_TF_NOTEBOOK_SMALL=1)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("name, outputs", [
    ("01_mnist_vaegan", ["runs/notebook_mnist/number.gif", "runs/notebook_mnist/metrics.json"]),
    ("02_faces_lr_schedules", ["runs/notebook_schedules/schedules.png",
                               "runs/notebook_schedules/lr4/history.csv"]),
    ("03_latent_space", ["runs/notebook_latent/arithmetic.png",
                         "runs/notebook_latent/walk.gif"]),
])
def test_notebook_runs_top_to_bottom(name, outputs, tmp_path, monkeypatch):
    monkeypatch.setenv("VAEGAN_TF_NOTEBOOK_SMALL", "1")
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    # The kernel inherits this process's environment, small-mode variable included.
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    for output in outputs:
        assert (tmp_path / output).stat().st_size > 0
    images = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if "image/png" in output.get("data", {})
              or "image/gif" in output.get("data", {})]
    assert images, "the notebook displayed no image"
