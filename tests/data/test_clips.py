import numpy as np
import pytest

from colornn_keras import colorspace
from colornn_keras.data import clips


def test_find_clips_lists_videos_and_frame_folders(clip_folder):
    found = clips.find_clips(clip_folder)
    assert [path.name for path in found] == ["clip.mp4"] * 4 + ["frames_clip"]


def test_find_clips_explains_an_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="holds no videos"):
        clips.find_clips(tmp_path)


def test_load_clip_fits_frames_and_honours_stride(clip_folder):
    clip = clips.load_clip(clip_folder / "frames_clip", image_size=32)
    assert clip.shape == (6, 32, 32, 3) and clip.dtype == np.uint8
    assert len(clips.load_clip(clip_folder / "frames_clip", 32, stride=2)) == 3
    with pytest.raises(ValueError, match="fewer than 2 frames"):
        clips.load_clip(clip_folder / "frames_clip", 32, stride=6)


def test_pairs_join_frame_t_with_the_previous_frames_colours_within_each_clip():
    first = np.stack([np.full((8, 8, 3), value, np.uint8) for value in (10, 20, 30)])
    first[..., 0] += np.arange(3, dtype=np.uint8)[:, None, None] * 50  # Redder each frame.
    second = np.stack([np.full((8, 8, 3), 200, np.uint8)] * 2)
    dataset = clips.FramePairs([first, second]).dataset(batch_size=10, num_bins=30)
    inputs, targets = next(iter(dataset))
    assert inputs["luma"].shape == (3, 8, 8, 1)  # 2 pairs from the first clip, 1 from the second.
    expected_previous = colorspace.rgb_to_yuv(first[:2].astype(np.float32) / 255.0)[..., 1:]
    np.testing.assert_allclose(inputs["previous_uv"][:2], expected_previous, atol=1e-6)
    expected_luma = colorspace.rgb_to_yuv(first[1:].astype(np.float32) / 255.0)[..., :1]
    np.testing.assert_allclose(inputs["luma"][:2], expected_luma, atol=1e-6)
    expected_bins = colorspace.quantize(colorspace.rgb_to_yuv(first[1:].astype(np.float32) / 255.0)[..., 2], "v")
    np.testing.assert_array_equal(targets["v"][:2], expected_bins)


def test_pairs_with_features_hold_the_current_frames_features_in_place_of_its_luma(tmp_path):
    rng = np.random.default_rng(0)
    clip_frames = [(rng.random((n, 8, 8, 3)) * 255).astype(np.uint8) for n in (3, 2)]
    # Frame i's features are all i, saved and read back memory-mapped as training reads them.
    np.save(tmp_path / "features.npy", np.arange(5, dtype=np.float16)[:, None, None, None] * np.ones((1, 8, 8, 4)))
    features = np.load(tmp_path / "features.npy", mmap_mode="r")
    with_luma = next(iter(clips.FramePairs(clip_frames).dataset(batch_size=10, num_bins=30)))
    inputs, targets = next(iter(clips.FramePairs(clip_frames, features).dataset(batch_size=10, num_bins=30)))
    assert set(inputs) == {"features", "previous_uv"} and inputs["features"].shape == (3, 8, 8, 4)
    # Pairs (0, 1), (1, 2) of the first clip and (3, 4) of the second: frame t's features.
    np.testing.assert_array_equal(inputs["features"][:, 0, 0, 0], [1, 2, 4])
    np.testing.assert_array_equal(inputs["previous_uv"], with_luma[0]["previous_uv"])
    np.testing.assert_array_equal(targets["u"], with_luma[1]["u"])
    with pytest.raises(ValueError, match="4 frames of features for 5 frames"):
        clips.FramePairs(clip_frames, features[:4])


@pytest.mark.large
def test_scheduled_sampling_feeds_the_models_own_previous_prediction(vgg16_weights):
    from colornn_keras.models import color, consistency

    color_model = color.build_color_model(image_size=32, num_bins=12, backbone_weights=vgg16_weights)
    model = consistency.build_consistency_model(color_model)
    rng = np.random.default_rng(0)
    clip = (rng.random((4, 32, 32, 3)) * 255).astype(np.uint8)
    pairs = clips.FramePairs([clip])
    pairs.refresh_predictions(color_model, model, "annealed_mean")
    predicted = pairs.predicted_uv.numpy()
    # Frame 0's prediction is the color model's; frame 2's is the consistency model's from frame 1's truth.
    luma, true_uv = clips.split_yuv(clip)
    expected_first = colorspace.decode_distribution(color_model.predict_on_batch(luma[:1])["u"], "u", "annealed_mean")
    np.testing.assert_allclose(predicted[0, ..., 0], expected_first[0], atol=1e-5)
    from_truth = model.predict_on_batch({"luma": luma[2:3], consistency.CONTEXT_INPUT: true_uv[1:2]})
    expected_third = colorspace.decode_distribution(from_truth["u"], "u", "annealed_mean")
    np.testing.assert_allclose(predicted[2, ..., 0], expected_third[0], atol=1e-5)
    own = next(iter(pairs.dataset(batch_size=3, num_bins=12, sampling_probability=1.0)))[0]["previous_uv"]
    np.testing.assert_allclose(own, predicted[:3], atol=1e-6)
    truth = next(iter(pairs.dataset(batch_size=3, num_bins=12, sampling_probability=0.0)))[0]["previous_uv"]
    np.testing.assert_allclose(truth, true_uv[:3], atol=1e-6)
    assert not np.allclose(own, truth)


@pytest.mark.large
def test_free_running_predictions_are_the_models_own_roll_out_over_each_clip(vgg16_weights):
    from colornn_keras.models import color, consistency

    color_model = color.build_color_model(image_size=32, num_bins=12, backbone_weights=vgg16_weights)
    model = consistency.build_consistency_model(color_model)
    rng = np.random.default_rng(0)
    clip_a, clip_b = ((rng.random((count, 32, 32, 3)) * 255).astype(np.uint8) for count in (4, 2))
    pairs = clips.FramePairs([clip_a, clip_b])
    pairs.refresh_predictions(color_model, model, "annealed_mean", free_running=True)
    predicted = pairs.predicted_uv.numpy()
    # Each clip in order, as `predict_sequence` colours it free-running: the color model's first
    # frame, then every frame from the model's own previous colours.
    for clip, rows in ((clip_a, predicted[:4]), (clip_b, predicted[4:])):
        luma, _ = clips.split_yuv(clip)
        expected = [frame["uv"] for frame in consistency.predict_sequence(color_model, model, list(luma), "free_running")]
        np.testing.assert_allclose(rows, np.stack(expected), atol=1e-4)
    one_step = clips.FramePairs([clip_a, clip_b])
    one_step.refresh_predictions(color_model, model, "annealed_mean")
    assert not np.allclose(one_step.predicted_uv.numpy()[3], predicted[3], atol=1e-4)  # Fed the truth at frame 2.


def test_window_dataset_gives_non_overlapping_windows_within_clips():
    from tests.conftest import panning_frames

    clip_a, clip_b = np.stack(panning_frames(7, size=(16, 16))), np.stack(panning_frames(3, size=(16, 16), seed=2))
    dataset = clips.make_window_dataset([clip_a, clip_b], window=3, batch_size=8, num_bins=10)
    (luma, targets), = list(dataset)
    assert luma.shape == (3, 3, 16, 16, 1) and targets["u"].shape == (3, 3, 16, 16)  # 2 from clip a, 1 from b.
    with pytest.raises(ValueError, match="No clip has 9 frames"):
        clips.make_window_dataset([clip_a, clip_b], window=9, batch_size=2, num_bins=10)


def test_window_dataset_reads_features_of_the_same_frames():
    from tests.conftest import panning_frames

    clip_a, clip_b = np.stack(panning_frames(7, size=(16, 16))), np.stack(panning_frames(3, size=(16, 16), seed=2))
    # Each frame's "features" hold its index, so a window shows which frames it read.
    features = np.broadcast_to(np.arange(10, dtype=np.float16)[:, None, None, None], (10, 16, 16, 2))
    dataset = clips.make_window_dataset([clip_a, clip_b], window=3, batch_size=8, num_bins=10, features=features)
    (windows, targets), = list(dataset)
    assert windows.shape == (3, 3, 16, 16, 2) and windows.dtype == np.float32
    np.testing.assert_array_equal(windows.numpy()[:, :, 0, 0, 0], [[0, 1, 2], [3, 4, 5], [7, 8, 9]])
    luma_windows, luma_targets = next(iter(clips.make_window_dataset([clip_a, clip_b], 3, 8, 10)))
    np.testing.assert_array_equal(targets["v"], luma_targets["v"])  # The same frames' colours.
    with pytest.raises(ValueError, match="9 frames of features for 10 frames"):
        clips.make_window_dataset([clip_a, clip_b], window=3, batch_size=2, num_bins=10, features=features[:9])
