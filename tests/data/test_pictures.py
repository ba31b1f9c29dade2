"""Picture files in and out: read as RGB uint8 of a size the models colour, written atomically and
read back, and Pillow's own limit left alone."""

import numpy as np
import pytest
from PIL import Image

from colornn_keras import errors
from colornn_keras.data import pictures
from tests.conftest import make_scene


def test_a_picture_saved_reads_back_as_it_was_and_sizes_are_checked(tmp_path):
    rgb = make_scene((40, 56), seed=2)
    assert pictures.save_image(rgb, tmp_path / "photo.png") == tmp_path / "photo.png"
    np.testing.assert_array_equal(pictures.read_image(tmp_path / "photo.png"), rgb)  # PNG: lossless.
    assert pictures.luma(rgb).shape == (40, 56, 1)
    with pytest.raises(errors.OutputError, match=r"photo.xyz does not end in an image extension"):
        pictures.save_image(rgb, tmp_path / "photo.xyz")
    Image.new("RGB", (7, 40)).save(tmp_path / "thin.png")
    with pytest.raises(errors.InputError, match=r"thin.png is 7x40: too small to colorize \(at least 8x8\)"):
        pictures.read_image(tmp_path / "thin.png")
    with pytest.raises(errors.InputError, match="larger than 67 megapixels"):
        pictures.check_image_size(8193, 8192, "huge.png")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photo.png", "thin.png"]


@pytest.mark.large
def test_importing_the_library_leaves_pillows_own_limit_alone():
    import subprocess
    import sys

    code = "from PIL import Image; limit = Image.MAX_IMAGE_PIXELS; import colornn_keras.inference; " \
           "print(Image.MAX_IMAGE_PIXELS == limit and limit is not None)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"
