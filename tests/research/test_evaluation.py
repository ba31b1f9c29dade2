import numpy as np
import pytest

from colornn_keras import colorspace
from colornn_keras.data import images
from colornn_keras.models import color
from colornn_keras.research import evaluation
from tests.conftest import panning_frames


@pytest.fixture
def tiny_model(vgg16_weights):
    return color.build_color_model(image_size=32, num_bins=30, backbone_weights=vgg16_weights)


def test_image_evaluation_counts_images_and_reports_every_measure(tiny_model, image_folder):
    files = images.scan_images(images.find_images(image_folder)).color[:5]
    result = evaluation.evaluate_color_model(tiny_model, files, image_size=32, batch_size=2)
    assert result["images"] == 5
    assert result["loss"] > 0 and 0 <= result["u_accuracy"] <= 1
    for method in colorspace.DECODING_METHODS:
        assert 0 < result[method]["auc"] <= 1 and result[method]["psnr"] > 0
    assert result["ground_truth_colorfulness"] > 0


def test_gray_baseline_is_one_for_gray_images(tiny_model, tmp_path):
    from PIL import Image

    for index in range(3):
        Image.fromarray(np.full((32, 32, 3), 60 * index + 10, np.uint8)).save(tmp_path / f"gray_{index}.png")
    result = evaluation.evaluate_color_model(tiny_model, sorted(tmp_path.iterdir()), 32, batch_size=3)
    assert result["gray_baseline_u_accuracy"] == pytest.approx(1.0)
    assert result["gray_baseline_v_accuracy"] == pytest.approx(1.0)


def test_consistency_evaluation_has_the_three_modes_and_the_ground_truth_floor(tiny_model):
    from colornn_keras.data import clips
    from colornn_keras.models import consistency

    model = consistency.build_consistency_model(tiny_model)
    clip = np.stack([clips.fit_frame(frame, 32) for frame in panning_frames(5)])
    result = evaluation.evaluate_consistency(tiny_model, model, [clip], ["pan"])
    overall = result["overall"]
    for mode in ("per_frame", "teacher_forced", "free_running"):
        assert overall[mode]["warp_error"] >= 0 and 0 <= overall[mode]["auc"] <= 1
    assert overall["ground_truth"]["warp_error"] < 0.01  # A pan is perfectly consistent.
    # The clip's luma as a gray video: as consistent as the truth, and as a colouring's can be.
    assert overall["gray_baseline"]["warp_error"] < 0.01 and overall["gray_baseline"]["cdc"] < overall["per_frame"]["cdc"]
    assert result["per_clip"]["pan"]["gray_video"]["warp_error"] == overall["gray_baseline"]["warp_error"]
    assert result["per_clip"]["pan"]["scene_cuts"] == 0
    # Frame 0 is coloured by the color model in every mode, so the modes differ only after it.
    assert overall["per_frame"]["loss"] != overall["free_running"]["loss"]
