import dataclasses
import pathlib

import numpy as np
import pytest
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import files
from colornn_keras import inference
from colornn_keras.data import video
from colornn_keras.models import color
from colornn_keras.models import consistency
from tests.conftest import make_scene, panning_frames
from tests.data.test_video import cut, faststart_clip, file_size_limit


@pytest.fixture(scope="module")
def colorizer():
    import keras

    from colornn_keras import backbone

    keras.utils.set_random_seed(0)  # The untrained heads' weights decide how close colours come: fix them.
    color_model = color.build_color_model(image_size=32, backbone_weights=backbone.load_vgg16_weights())
    return inference.Colorizer(color_model, consistency.build_consistency_model(color_model), batch_size=4)


def _luma(rgb):
    return colorspace.rgb_to_luma(np.asarray(rgb, np.float32) / 255.0)[..., 0]


def test_an_image_keeps_its_size_and_its_own_luma(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    rgb = make_scene((75, 130), seed=1)
    Image.fromarray(rgb).save(source)
    report = inference.colorize(colorizer, source)
    output = np.asarray(Image.open(tmp_path / "photo_colorized.png"))
    assert report.outputs == [tmp_path / "photo_colorized.png"] and output.shape == (75, 130, 3)
    # Luma comes from the source at full resolution; only rounding to uint8 moves it.
    assert np.abs(_luma(output) - _luma(rgb)).max() <= 1.0 / 255


def test_a_folder_of_images_reports_failures_and_continues(colorizer, image_folder, tmp_path):
    (image_folder / "broken.jpg").write_bytes(b"not a jpeg")
    report = inference.colorize(colorizer, image_folder, tmp_path / "out")
    assert len(report.outputs) == 14 and [path.split("/")[-1] for path, _ in report.failures] == ["broken.jpg"]
    assert (tmp_path / "out" / "nested" / "scene_00.jpg").is_file()
    assert not (tmp_path / "out" / "broken.jpg").exists()


@pytest.mark.large
def test_a_video_keeps_size_frame_count_fps_and_audio(colorizer, tmp_path):
    import subprocess

    import imageio_ffmpeg

    source = tmp_path / "clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=12:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(source)], check=True, timeout=60,
    )
    report = inference.colorize(colorizer, source)
    info = video.probe(report.outputs[0])
    assert (info.width, info.height, info.fps, info.has_audio) == (96, 64, 12.0, True)
    assert info.frame_count == video.probe(source).frame_count == report.frames


def test_a_folder_of_numbered_frames_becomes_a_video(colorizer, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(panning_frames(5)):
        Image.fromarray(frame).save(folder / f"frame_{index:03d}.png")
    assert inference.is_frame_folder(folder)
    report = inference.colorize(colorizer, folder)
    assert report.outputs == [tmp_path / "frames_colorized.mp4"] and video.probe(report.outputs[0]).frame_count == 5


def test_free_running_video_resets_at_a_scene_cut(colorizer):
    frames = panning_frames(3) + [255 - frame for frame in panning_frames(3, seed=3)]
    free = list(colorizer.colorize_sequence(frames))
    per_frame = list(inference.Colorizer(colorizer.color_model).colorize_sequence(frames))
    np.testing.assert_array_equal(free[0], per_frame[0])
    np.testing.assert_array_equal(free[3], per_frame[3])  # The cut: the color model again.
    assert not np.array_equal(free[1], per_frame[1])


def test_a_recurrent_model_colours_a_video_keeping_its_luma(colorizer, tmp_path):
    from colornn_keras.models import recurrent

    models = recurrent.RecurrentConsistencyModel(colorizer.color_model, window=2, hidden_filters=4, filters=8)
    recurrent_colorizer = inference.Colorizer(colorizer.color_model, models)
    source = tmp_path / "clip.mp4"
    with video.VideoWriter(source, fps=10) as writer:
        for frame in panning_frames(4):
            writer.write(frame)
    report = inference.colorize(recurrent_colorizer, source)
    assert video.probe(report.outputs[0]).frame_count == 4
    frames = panning_frames(3)
    outputs = list(recurrent_colorizer.colorize_sequence(frames))
    for frame, output in zip(frames, outputs):
        luma_in = colorspace.rgb_to_luma(frame / 255.0)
        assert np.abs(colorspace.rgb_to_luma(output / 255.0) - luma_in).max() < 3 / 255


def _ffmpeg_clip(path, truncate=False, video_stream=True):
    """A 3-second test clip; truncated to its first 3000 bytes, or with only a sound track."""
    import subprocess

    import imageio_ffmpeg

    inputs = ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=12:duration=3", "-f", "lavfi", "-i", "sine=duration=3"]
    streams = ["-map", "0", "-c:v", "libx264", "-pix_fmt", "yuv420p"] if video_stream else ["-map", "1", "-c:a", "aac"]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *inputs, *streams, str(path)], check=True, timeout=60)
    if truncate:
        path.write_bytes(path.read_bytes()[:3000])
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.png", "does not exist"),
        (lambda tmp: (tmp / "notes.txt").write_text("hi") and tmp / "notes.txt", "neither an image"),
        (lambda tmp: (tmp / "fake.png").write_bytes(b"garbage") and tmp / "fake.png", "not a readable image"),
        (lambda tmp: (tmp / "fake.mp4").write_bytes(b"garbage") and tmp / "fake.mp4", "not a video ffmpeg can read"),
        (lambda tmp: (tmp / "empty.jpg").write_bytes(b"") or tmp / "empty.jpg", r"not a readable image: the file is empty"),
        (lambda tmp: _cut_jpeg(tmp / "cut.jpg"), r"cut.jpg is not a readable image: image file is truncated"),
        (lambda tmp: Image.new("RGB", (1, 1)).save(tmp / "dot.png") or tmp / "dot.png", "too small"),
        (lambda tmp: _ffmpeg_clip(tmp / "truncated.mp4", truncate=True), "not a video ffmpeg can read: moov atom"),
        (lambda tmp: cut(faststart_clip(tmp / "cut.mp4", audio=True)), "cut.mp4 is truncated: its header"),
        (lambda tmp: _ffmpeg_clip(tmp / "sound_only.mp4", video_stream=False), "has no video stream"),
        (lambda tmp: (tmp / "empty_folder").mkdir() or tmp / "empty_folder", "holds no images"),
        (lambda tmp: Image.new("L", (8200, 8200)).save(tmp / "huge.png") or tmp / "huge.png", "megapixels"),
    ],
)
def test_bad_inputs_raise_one_line_and_leave_nothing(colorizer, tmp_path, make, message):
    source = make(tmp_path)
    before = set(tmp_path.iterdir())
    with pytest.raises(errors.InputError, match=message) as failure:
        inference.colorize(colorizer, source)
    assert len(str(failure.value).splitlines()) == 1
    assert set(tmp_path.iterdir()) == before


def _cut_jpeg(path):
    """A photo whose last two thirds are missing, as an interrupted copy leaves it."""
    Image.fromarray(make_scene((64, 80), seed=4)).save(path, quality=95)
    return cut(path, 1 / 3)


def test_a_truncated_video_is_coloured_only_when_allowed(colorizer, tmp_path):
    source = cut(faststart_clip(tmp_path / "clip.mp4", frames=40, audio=True), 0.5)
    target = tmp_path / "out.mp4"
    with pytest.raises(errors.InputError, match="clip.mp4 is truncated"):
        inference.colorize(colorizer, source, target)
    assert not target.exists()
    with pytest.warns(errors.ColorNNWarning, match=r"clip.mp4 is truncated: .*about 40 frames.* holds .* \((\d+) frames"):
        report = inference.colorize(colorizer, source, target, allow_truncated=True)
    assert 5 < video.probe(target).frame_count == report.frames < 40


def test_outputs_that_cannot_be_written_leave_nothing(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 48), seed=3)).save(source)
    with pytest.raises(errors.OutputError, match=r"photo.xyz does not end in an image extension"):
        inference.colorize(colorizer, source, tmp_path / "photo.xyz")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*/proc\b") as failure:  # Whether root or not.
        inference.colorize(colorizer, source, pathlib.Path("/proc/photo_colorized.png"))
    assert files.TEMPORARY_MARK not in str(failure.value)
    target = tmp_path / "out.png"
    target.write_bytes(b"the previous version")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*out.png: File too large"):
        with file_size_limit(500):  # A full disk.
            inference.colorize(colorizer, source, target, overwrite=True)
    assert target.read_bytes() == b"the previous version"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.png", "photo.png"]


def test_a_folder_of_camera_photos_is_not_a_video(colorizer, tmp_path):
    folder = tmp_path / "holiday"
    folder.mkdir()
    for index, size in enumerate([(40, 48), (48, 40), (40, 48)]):  # Landscape and portrait, as cameras take them.
        Image.fromarray(make_scene(size, seed=index)).save(folder / f"IMG_{index + 1:04d}.jpg")
    (folder / "animation.gif").write_bytes(b"GIF89a")
    report = inference.colorize(colorizer, folder, tmp_path / "coloured")
    assert sorted(path.name for path in (tmp_path / "coloured").iterdir()) == ["IMG_0001.jpg", "IMG_0002.jpg",
                                                                               "IMG_0003.jpg"]
    assert report.failures == [] and report.skipped == [str(folder / "animation.gif")]


def test_existing_output_is_refused_unless_overwrite(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 40), seed=2)).save(source)
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="exists; pass --overwrite"):
        inference.colorize(colorizer, source, target)
    assert target.read_bytes() == b"keep me"
    inference.colorize(colorizer, source, target, overwrite=True)
    assert Image.open(target).size == (40, 40)


def test_unwritable_output_folder_is_refused(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 40), seed=2)).save(source)
    with pytest.raises(ValueError, match="not writable"):
        inference.colorize(colorizer, source, tmp_path / "photo.png" / "inside" / "out.png")


def test_read_ahead_keeps_order_reraises_errors_and_stops_early():
    assert list(inference._read_ahead(iter(range(20)), depth=3)) == list(range(20))

    def failing():
        yield 1
        raise ValueError("truncated")

    with pytest.raises(ValueError, match="truncated"):
        list(inference._read_ahead(failing(), depth=2))
    produced = []

    def endless():
        for index in range(10**6):
            produced.append(index)
            yield index

    reader = inference._read_ahead(endless(), depth=2)
    assert next(reader) == 0
    reader.close()  # The consumer stops: the producer must end too, not fill memory.
    count = len(produced)
    import time

    time.sleep(0.3)
    assert len(produced) == count < 10


# Issue #17: every video mode on a small clip whose sides are odd and not multiples of 8, and the
# keyframe mode's colours.

CLIP_SIZE = (37, 51)  # Height, width.
NUM_BINS = 30  # The tiny color model's (build_color_model's default).


def _colourful_clip(count=10, size=CLIP_SIZE, step=1, seed=0):
    """A smooth, strongly coloured texture panning right by `step` pixels a frame (uint8 RGB)."""
    coarse = (np.random.default_rng(seed).random((5, 9, 3)) * 200 + 30).astype(np.uint8)
    wide = np.asarray(Image.fromarray(coarse).resize((size[1] + step * count, size[0]), Image.BICUBIC))
    return [wide[:, index * step : index * step + size[1]].copy() for index in range(count)]


def _frame_folder(folder, frames):
    folder.mkdir()
    for index, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{index:05d}.png")
    return folder


def _uv(rgb):
    return colorspace.rgb_to_yuv(np.asarray(rgb, np.float32) / 255.0)[..., 1:]


@pytest.fixture(scope="module")
def recurrent_colorizer(colorizer):
    """A tiny recurrent model: the shipped recurrent weights were withdrawn (they were NaN)."""
    from colornn_keras.models import recurrent

    models = recurrent.RecurrentConsistencyModel(colorizer.color_model, window=2, hidden_filters=4, filters=8)
    return inference.Colorizer(colorizer.color_model, models)


def _video_modes(colorizer, recurrent_colorizer, frames):
    """{mode: (Colorizer, keyframes)} for the four ways a video is coloured."""
    return {
        "per_frame": (inference.Colorizer(colorizer.color_model, batch_size=4), None),
        "consistency": (colorizer, None),
        "recurrent": (recurrent_colorizer, None),
        "keyframe": (dataclasses.replace(colorizer, keyframe_propagation="model"), {4: frames[4]}),
        "keyframe_flow": (inference.Colorizer(colorizer.color_model), {4: frames[4]}),
        "guided": (_guided_colorizer(colorizer, gate_bias=0.0), None),
        "keyframe_guided": (_guided_colorizer(colorizer, gate_bias=0.0), {4: frames[4]}),
        "smoothing_both_ways": (_smoothing_colorizer(colorizer, both_ways=True), None),
    }


def _smoothing_colorizer(colorizer, both_ways):
    from colornn_keras.models import flow_guided

    return inference.Colorizer(colorizer.color_model, batch_size=4,
                               flow_guided_model=flow_guided.FlowSmoothingModel(0.9), both_ways=both_ways)


def _guided_colorizer(colorizer, gate_bias):
    from colornn_keras.models import flow_guided

    return inference.Colorizer(colorizer.color_model, batch_size=4, keyframe_propagation="guided",
                               flow_guided_model=flow_guided.FlowGuidedModel(filters=4, gate_bias=gate_bias))


@pytest.mark.parametrize("mode", ["per_frame", "consistency", "recurrent", "keyframe", "keyframe_flow", "guided",
                                  "keyframe_guided", "smoothing_both_ways"])
@pytest.mark.large
def test_every_video_mode_keeps_an_odd_sized_clips_luma(colorizer, recurrent_colorizer, tmp_path, mode):
    frames = _colourful_clip()
    mode_colorizer, keyframes = _video_modes(colorizer, recurrent_colorizer, frames)[mode]
    if keyframes:
        outputs = list(mode_colorizer.colorize_sequence_with_keyframes(frames, keyframes))
    else:
        outputs = list(mode_colorizer.colorize_sequence(frames))
    assert len(outputs) == 10
    for frame, output in zip(frames, outputs):
        assert output.shape == (*CLIP_SIZE, 3) and output.dtype == np.uint8
        # The source's own luma at full resolution: only rounding to uint8 moves it (a NaN
        # prediction would have made the frame black).
        assert np.abs(_luma(output) - _luma(frame)).max() <= 1.0 / 255 + 1e-6
    if mode.startswith("keyframe"):  # The keyframe's own frame takes its true colours (at model size).
        assert np.abs(_uv(outputs[4]) - _uv(frames[4])).mean() < 0.2 * np.abs(_uv(frames[4])).mean()

    # The same through files: numbered PNG frames in, an mp4 out (x264 loses a little luma).
    source = _frame_folder(tmp_path / "frames", frames)
    report = inference.colorize(mode_colorizer, source, tmp_path / "out.mp4", keyframes=keyframes)
    info = video.probe(tmp_path / "out.mp4")
    # H.264's 4:2:0 chroma needs even sides: the writer pads one edge pixel (video.VideoWriter).
    assert report.frames == info.frame_count == 10 and (info.width, info.height) == (52, 38)
    written = _read_back(tmp_path / "out.mp4")
    # The luma is the source's but for what x264 loses: no worse than the source's own frames
    # through the same writer.
    with video.VideoWriter(tmp_path / "source.mp4", fps=30) as writer:
        for frame in frames:
            writer.write(frame)
    for frame, output, encoded in zip(frames, written, _read_back(tmp_path / "source.mp4")):
        output_error, codec_error = (np.abs(_luma(image) - _luma(frame)) for image in (output, encoded))
        # Colours other than the source's move x264's rounding a little (measured: up to 0.4/255
        # more on average, 4/255 at the worst pixel); black frames would be off by about 100/255.
        assert output_error.mean() < codec_error.mean() + 1.0 / 255
        assert output_error.max() < codec_error.max() + 8.0 / 255
    if mode == "keyframe":
        assert np.abs(_uv(written[4]) - _uv(frames[4])).mean() < 0.3 * np.abs(_uv(frames[4])).mean()


@pytest.mark.large
def test_the_automatic_guided_mode_is_per_frame_with_its_gate_open_and_carries_frame_0_with_it_shut(colorizer):
    frames = _colourful_clip(count=7)
    per_frame = [uv for _, uv in inference.Colorizer(colorizer.color_model, batch_size=4).predict_chroma_sequence(frames)]
    opened = [uv for _, uv in _guided_colorizer(colorizer, -30.0).predict_chroma_sequence(frames)]
    for expected, uv in zip(per_frame, opened):  # Batches of 4 across the 7 frames: none lost or repeated.
        np.testing.assert_allclose(uv, expected, atol=1e-5)
    shut = [uv for _, uv in _guided_colorizer(colorizer, 30.0).predict_chroma_sequence(frames)]
    np.testing.assert_allclose(shut[0], per_frame[0], atol=1e-5)
    from colornn_keras import propagation

    lumas = [colorizer._model_luma(_luma(frame)[..., None]) for frame in frames]
    carried = propagation.flow_keyframe(lumas, {0: per_frame[0]})
    for expected, uv in zip(carried, shut):
        np.testing.assert_allclose(uv, expected["uv"], atol=1e-5)


@pytest.mark.large
def test_smoothing_both_ways_is_the_mean_of_both_directions_over_the_color_models_colours(colorizer):
    from colornn_keras import propagation

    frames = _colourful_clip(count=7)
    per_frame = [uv for _, uv in inference.Colorizer(colorizer.color_model, batch_size=4).predict_chroma_sequence(frames)]
    both = _smoothing_colorizer(colorizer, both_ways=True)
    outputs = list(both.predict_chroma_sequence(iter(frames)))  # An iterator: read whole, then given back.
    lumas = [colorizer._model_luma(_luma(frame)[..., None]) for frame in frames]
    expected = propagation.propagate_guided(both.flow_guided_model, lumas, per_frame, both_ways=True)
    assert len(outputs) == 7
    for (luma, uv), frame, wanted in zip(outputs, frames, expected):
        np.testing.assert_array_equal(luma, _luma(frame)[..., None])
        np.testing.assert_allclose(uv, wanted["uv"], atol=1e-5)
    one_way = [uv for _, uv in _smoothing_colorizer(colorizer, both_ways=False).predict_chroma_sequence(frames)]
    assert np.abs(outputs[0][1] - one_way[0]).max() > 1e-4  # Frame 0 is steadied by the frames after it.
    with pytest.raises(ValueError, match="needs a flow_guided_model"):
        inference.Colorizer(colorizer.color_model, both_ways=True)


@pytest.mark.large
def test_smoothing_both_ways_holds_twenty_bytes_a_model_pixel_a_frame_while_predicting(colorizer):
    import tracemalloc

    both = _smoothing_colorizer(colorizer, both_ways=True)
    list(both.predict_chroma_with_keyframes(_colourful_clip(count=3), {}))  # Warm up outside the count.
    peaks = {}
    for count in (40, 160):
        frames = _colourful_clip(count=count)
        tracemalloc.start()
        chroma = both.predict_chroma_with_keyframes(frames, {})
        peaks[count], kept = tracemalloc.get_traced_memory()[1], tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(chroma) == count and kept < peaks[count]
    model_pixels = both.model_size**2
    # Luma (4 bytes), the color model's colours (8) and the smoothed ones (8); a little for Python's own.
    assert (peaks[160] - peaks[40]) / 120 < 1.25 * 20 * model_pixels


def _read_back(path):
    """A written clip's frames, without the writer's padding to even sides."""
    return [frame[: CLIP_SIZE[0], : CLIP_SIZE[1]] for frame in video.read_frames(path)]


def _one_hot(uv):
    return {axis: np.eye(NUM_BINS, dtype=np.float32)[colorspace.quantize(uv[..., index], axis, NUM_BINS)]
            for index, axis in enumerate(("u", "v"))}


class _CarryContext:
    """A consistency model that predicts exactly the colours it is given (an ideal carrier)."""

    def predict_on_batch(self, inputs):
        return {axis: value[None] for axis, value in _one_hot(inputs[consistency.CONTEXT_INPUT][0]).items()}


def test_keyframes_colour_their_shot_both_ways_and_reseed(colorizer):
    frames = _colourful_clip(count=8)
    cut_frames = [255 - frame for frame in _colourful_clip(count=3, seed=5)]  # Frames 8-10: another shot.
    red = np.zeros((74, 102, 3), np.uint8)  # Twice the frames' size: it is resized to them.
    red[..., 0] = 200
    carrier = inference.Colorizer(colorizer.color_model, _CarryContext(), keyframe_propagation="model")
    outputs = list(carrier.colorize_sequence_with_keyframes(frames + cut_frames, {2: frames[2], 5: red}))
    gray_error = np.abs(_uv(frames[2])).mean()
    for index in range(5):  # Before keyframe 2 (run backwards) and after it, up to keyframe 5.
        error = np.abs(_uv(outputs[index]) - _uv(frames[2])).mean()
        assert error < 0.3 * gray_error, index
    for index in (5, 6, 7):  # Re-seeded by keyframe 5: red, the frames' own luma.
        u, v = _uv(outputs[index]).mean(axis=(0, 1))
        assert v > 0.1 and u < 0, (index, u, v)
    # The shot after the cut has no keyframe: the automatic mode, the color model frame by frame.
    automatic = list(inference.Colorizer(colorizer.color_model).colorize_sequence(cut_frames))
    for output, expected in zip(outputs[8:], automatic):
        assert np.abs(output.astype(int) - expected).max() <= 1


def test_keyframes_are_checked(colorizer, tmp_path):
    frames = _colourful_clip(count=3)
    source = _frame_folder(tmp_path / "frames", frames)
    photo = tmp_path / "photo.png"
    Image.fromarray(frames[0]).save(photo)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    cases = [
        (source, {3: frames[0]}, errors.InputError, r"Keyframe 3 is outside .*frames's 3 frames \(0 to 2"),
        (source, {-1: frames[0]}, errors.InputError, "Keyframe index -1 is not a frame number"),
        (source, {1: tmp_path / "broken.png"}, errors.InputError, r"Keyframe 1: .*broken.png is not a readable image"),
        (source, {1: tmp_path / "missing.png"}, errors.InputError, r"Keyframe 1: .*missing.png does not exist"),
        (photo, {0: frames[0]}, errors.InputError, r"photo.png is not a video .*keyframes colour videos"),
    ]
    for clip, keyframes, error_type, message in cases:
        with pytest.raises(error_type, match=message) as failure:
            inference.colorize(colorizer, clip, tmp_path / "out.mp4", keyframes=keyframes)
        assert len(str(failure.value).splitlines()) == 1
    without_consistency = inference.Colorizer(colorizer.color_model, keyframe_propagation="model")
    with pytest.raises(errors.ColorNNError, match="Keyframes need the consistency model"):
        inference.colorize(without_consistency, source, tmp_path / "out.mp4", keyframes={0: frames[0]})
    with pytest.warns(errors.ColorNNWarning, match="Keyframe 0 has almost no colour: it seeds gray"):
        list(colorizer.colorize_sequence_with_keyframes(frames, {0: np.full(frames[0].shape, 128, np.uint8)}))
    with pytest.warns(errors.ColorNNWarning, match=r"Keyframe 1 is 20x20, another shape than the 51x37 frames"):
        list(colorizer.colorize_sequence_with_keyframes(frames, {1: frames[1][:20, :20]}))
    with pytest.raises(TypeError, match="read twice"):
        next(colorizer.colorize_sequence_with_keyframes(iter(frames), {0: frames[0]}))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.png", "frames", "photo.png"]


class _NonFinite:
    """A model whose every prediction is NaN, as broken weights or an overflowing precision give."""

    input_shape = (None, 32, 32, 1)

    def predict_on_batch(self, inputs):
        batch = len(inputs["luma"] if isinstance(inputs, dict) else inputs)
        return {axis: np.full((batch, 32, 32, NUM_BINS), np.nan, np.float32) for axis in ("u", "v")}


@pytest.mark.parametrize("method", ["annealed_mean", "argmax"])  # Argmax decodes NaN to a finite bin.
@pytest.mark.parametrize("mode", ["image", "per_frame", "consistency", "keyframe"])
def test_non_finite_predictions_are_refused_not_written_black(colorizer, tmp_path, method, mode):
    frames = _colourful_clip(count=3)
    if mode == "image":
        source = tmp_path / "photo.png"
        Image.fromarray(frames[0]).save(source)
        nan_colorizer, keyframes = inference.Colorizer(_NonFinite(), method=method), None
    else:
        source = _frame_folder(tmp_path / "frames", frames)
        # The color model is sound where the consistency model is tested alone.
        color_model = _NonFinite() if mode == "per_frame" else colorizer.color_model
        consistency_model = None if mode == "per_frame" else _NonFinite()
        nan_colorizer = inference.Colorizer(color_model, consistency_model, method=method, keyframe_propagation="model")
        keyframes = {1: frames[1]} if mode == "keyframe" else None
    before = sorted(path.name for path in tmp_path.iterdir())
    with pytest.raises(RuntimeError, match="non-finite colours"):
        inference.colorize(nan_colorizer, source, tmp_path / f"out{source.suffix or '.mp4'}", keyframes=keyframes)
    assert sorted(path.name for path in tmp_path.iterdir()) == before


def test_keyframes_travel_along_optical_flow_by_default(colorizer):
    # A colourful texture panning right: the keyframe's colours, carried along the flow, stay
    # far closer to the truth than the color model's own guess, on every later frame.
    from tests.test_propagation import _panning_texture

    frames = list(_panning_texture(count=8, size=(48, 64)))
    assert inference.Colorizer(colorizer.color_model).keyframe_propagation == "flow"
    flowed = list(inference.Colorizer(colorizer.color_model).colorize_sequence_with_keyframes(frames, {0: frames[0]}))
    automatic = list(inference.Colorizer(colorizer.color_model).colorize_sequence(frames))
    for index in range(1, 8):
        flow_error = np.abs(_uv(flowed[index]) - _uv(frames[index])).mean()
        assert flow_error < 0.5 * np.abs(_uv(automatic[index]) - _uv(frames[index])).mean(), index
    with pytest.raises(errors.ColorNNError, match="keyframe_propagation must be one of"):
        list(inference.Colorizer(colorizer.color_model, keyframe_propagation="magic")
             .colorize_sequence_with_keyframes(frames, {0: frames[0]}))


# Issue #29: keyframes carried along the flow at the output's own resolution.


def _striped_clip(count=6, size=(96, 128), step=3):
    """Saturated colour bands 7 pixels wide, their edges sharp, over a smooth luma texture, panning
    right by `step` pixels a frame (uint8 RGB)."""
    palette = np.array([[200, 40, 40], [40, 160, 60], [50, 70, 210], [220, 200, 40]], np.float32)
    width = size[1] + step * count
    bands = palette[(np.arange(width) // 7) % 4]
    noise = (np.random.default_rng(0).random((12, width // 8)) * 255).astype(np.uint8)
    texture = np.asarray(Image.fromarray(noise).resize((width, size[0]), Image.BICUBIC), np.float32) / 255.0
    wide = np.clip(bands[None] * (0.75 + 0.5 * texture[..., None]), 0, 255).astype(np.uint8)
    return [wide[:, index * step : index * step + size[1]].copy() for index in range(count)]


def test_keyframes_along_the_flow_keep_their_colour_edges_at_full_resolution(colorizer):
    from colornn_keras import propagation

    frames = _striped_clip()
    along_flow = inference.Colorizer(colorizer.color_model, batch_size=4)
    assert along_flow.flow_scale == 2 and along_flow.keyframe_blend == "confidence"
    outputs = list(along_flow.colorize_sequence_with_keyframes(frames, {0: frames[0]}))
    # The way it was: every frame squashed to the model's square, the keyframe's colours carried
    # there along the flow and stretched back over the frame.
    lumas = [along_flow._model_luma(_luma(frame)[..., None]) for frame in frames]
    carried = propagation.flow_keyframe(lumas, {0: along_flow.keyframe_uv(frames[0], (128, 96))})
    squashed = [along_flow.join(_luma(frame)[..., None], uv["uv"]) for frame, uv in zip(frames, carried)]
    errors_now, errors_before = ([np.abs(_uv(output) - _uv(frame)).mean() for output, frame in zip(clip, frames)]
                                 for clip in (outputs, squashed))
    assert errors_now[0] < 0.01 < 0.05 < errors_before[0]  # The keyframe's own frame: its edges, or a blur.
    assert np.mean(errors_now[1:]) < 0.5 * np.mean(errors_before[1:]), (errors_now, errors_before)
    with pytest.raises(errors.ColorNNError, match=r"flow_scale must be one of \(1, 2, 4\)"):
        inference.Colorizer(colorizer.color_model, flow_scale=3)
    with pytest.raises(errors.ColorNNError, match="keyframe_blend must be one of"):
        inference.Colorizer(colorizer.color_model, keyframe_blend="mean")


def test_yuv_planes_are_coloured_at_their_chroma_planes_size(colorizer):
    frames = _colourful_clip(count=5)  # 37x51: chroma planes of 19x26.
    yuv_format = video.YuvFormat("yuv420p", "smpte170m")
    planes = [np.round(16 + 219 * _luma(frame)).astype(np.uint8) for frame in frames]
    along_flow = inference.Colorizer(colorizer.color_model, batch_size=4)
    counted = []
    pairs = list(along_flow.predict_chroma_planes_along_flow(planes, yuv_format, {2: frames[2]}, counted.append))
    assert [plane is given for (plane, _), given in zip(pairs, planes)] == [True] * 5
    assert {uv.shape for _, uv in pairs} == {(19, 26, 2)}
    # The keyframe's own chroma, averaged over each plane sample's pixels as 4:2:0 does.
    keyframe_uv = along_flow.keyframe_uv(frames[2], (51, 37), (26, 19))
    np.testing.assert_array_equal(pairs[2][1], keyframe_uv)
    assert np.abs(keyframe_uv - _uv(frames[2])[::2, ::2]).mean() < 0.02
    cb, cr = along_flow.chroma_planes(planes[0], pairs[0][1], yuv_format)
    assert cb.shape == cr.shape == (19, 26)
    # Frames 0-2 read ahead, frames 0-1 carried back from keyframe 2; the frames given back are the writer's.
    assert sum(counted) == along_flow.progress_total(5, {2: None}) - 5 == 3 + 2
    with pytest.raises(TypeError, match="a sequence, or a callable that reads them again"):
        next(along_flow.predict_chroma_planes_along_flow(iter(planes), yuv_format, {2: frames[2]}))
    with pytest.raises(errors.InputError, match=r"Keyframe 7 is outside the clip's 5 frames"):
        list(along_flow.predict_chroma_planes_along_flow(planes, yuv_format, {2: frames[2], 7: frames[2]}))


@pytest.mark.large
def test_a_video_file_keyed_along_the_flow_is_coloured_in_yuv(colorizer, tmp_path):
    frames = _colourful_clip(count=8, size=(48, 64))
    source = tmp_path / "clip.mp4"
    with video.VideoWriter(source, fps=10) as writer:
        for frame in frames:
            writer.write(frame)
    assert video.probe(source).yuv_format is not None  # Read as luma planes, written as planes.
    decoded = list(video.read_frames(source))
    counted = []
    report = inference.colorize(inference.Colorizer(colorizer.color_model, batch_size=4), source,
                                tmp_path / "out.mp4", progress=counted.append, keyframes={3: decoded[3], 6: decoded[6]})
    written = list(video.read_frames(tmp_path / "out.mp4"))
    assert report.frames == len(written) == 8
    for index in (3, 6):  # The keyframes' own colours, through x264's 4:2:0.
        assert np.abs(_uv(written[index]) - _uv(decoded[index])).mean() < 0.3 * np.abs(_uv(decoded[index])).mean()
    # Written: 8; read ahead: frames 0-6; carried back: frames 0-2, 4-5.
    assert sum(counted) == 8 + 7 + 5 == inference.Colorizer(colorizer.color_model).progress_total(8, {3: 0, 6: 0})


class _OneColour:
    """A color model that predicts one colour's bins everywhere, at 16x16 (no network to run)."""

    input_shape = (None, 16, 16, 1)

    def predict_on_batch(self, luma):
        return {axis: np.broadcast_to(np.eye(NUM_BINS, dtype=np.float32)[NUM_BINS // 2 + 3],
                                      (len(luma), 16, 16, NUM_BINS)) for axis in ("u", "v")}


@pytest.mark.large
def test_keyframes_along_the_flow_take_memory_that_does_not_grow_with_the_clip():
    import tracemalloc

    yuv_format = video.YuvFormat("yuv420p", "smpte170m")
    along_flow = inference.Colorizer(_OneColour(), batch_size=4, flow_scale=1)
    coarse = (np.random.default_rng(2).random((6, 40)) * 219 + 16).astype(np.uint8)
    wide = np.asarray(Image.fromarray(coarse).resize((64 + 320, 48), Image.BICUBIC))

    def peak(count):
        def read():  # Each luma plane made as it is read: the clip is never held.
            return (wide[:, index : index + 64].copy() for index in range(count))
        keyframe = np.stack([wide[:, :64]] * 3, axis=-1)
        tracemalloc.start()
        for _ in along_flow.predict_chroma_planes_along_flow(read, yuv_format, {count - 1: keyframe}):
            pass  # Written and dropped, as `colorize` does.
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak(10)  # Warm-up outside the counts.
    short, long = peak(30), peak(300)
    chroma_bytes = 24 * 32 * 2 * 4  # One frame's (U, V) at the chroma planes' size, float32.
    # Every frame is carried back from the last: held in memory, that would be 270 frames' colours
    # and confidences (measured: 4 MB more); what is left is the peak's jitter from run to run.
    assert long - short < 30 * chroma_bytes, (short, long)


# Issue #30: nothing lost when runs meet, output names that mean what they say, a killed run's
# leftovers cleared, keyframe mistakes as the project's errors. These need no model: the doubles
# below colour nothing (or refuse to be asked), so only the checks and the writing are tested.


class _NoWork:
    """A colorizer double for refusals that must come before any work: any use of it fails."""

    def __getattr__(self, name):
        raise AssertionError(f"The work began (colorizer.{name}) before the output was refused.")


class _Unchanged:
    """A colorizer double that gives photos back as they are. `placed_meanwhile` ({call number:
    path}) is written, as another run would, while this one colours its photo of that call."""

    def __init__(self, placed_meanwhile=None):
        self.placed_meanwhile, self.calls = placed_meanwhile or {}, 0

    def colorize_frames(self, frames):
        path = self.placed_meanwhile.get(self.calls)
        self.calls += 1
        if path is not None:
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(make_scene((16, 16), seed=9)).save(path)
        yield from frames


def _photos(folder, sizes, names=None):
    folder.mkdir(parents=True)
    for index, size in enumerate(sizes):
        Image.fromarray(make_scene(size, seed=index)).save(folder / (names[index] if names else f"{index:03d}.jpg"))
    return folder


def test_output_names_that_say_another_kind_of_output_are_refused_before_any_work(tmp_path):
    mixed = _photos(tmp_path / "mixsize", [(40, 48), (48, 40), (40, 40)])  # Numbered, but photos: sizes differ.
    photo = _photos(tmp_path / "one", [(40, 48)]) / "000.jpg"
    frames = _frame_folder(tmp_path / "frames", _colourful_clip(count=3))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"never read: the output is refused first")
    (tmp_path / "existing_folder.mp4").mkdir()
    (tmp_path / "a_file").write_bytes(b"")
    (tmp_path / "folder.png").mkdir()
    cases = [
        (mixed, tmp_path / "out" / "mixsize.mp4", r"mixsize.mp4 is a video's name, but .*mixsize is a folder of photos"),
        (mixed, tmp_path / "clip.MOV", r"clip.MOV is a video's name, but .*mixsize is a folder of photos"),
        (mixed, tmp_path / "a_file", r"a_file is a file, but .*mixsize is a folder of photos"),
        (photo, tmp_path / "out.mp4", r"out.mp4 is a video's name, but .*000.jpg is a photo: give an image file name"),
        (photo, tmp_path / "folder.png", r"folder.png is a folder, but .*000.jpg is a photo"),
        (clip, tmp_path / "out", r"out is a folder's name \(it has no extension\), but .*clip.mp4 is a video: "
                                 r"give an .mp4 file name"),
        (clip, tmp_path / "existing_folder.mp4", r"existing_folder.mp4 is a folder, but .*clip.mp4 is a video"),
        (frames, tmp_path / "out", r"out is a folder's name .*frames is a folder of numbered frames, coloured as a video"),
    ]
    before = sorted(tmp_path.rglob("*"))
    for source, target, message in cases:
        for overwrite in (False, True):
            with pytest.raises(errors.OutputError, match=message) as failure:
                inference.colorize(_NoWork(), source, target, overwrite=overwrite)
            assert len(str(failure.value).splitlines()) == 1
    assert sorted(tmp_path.rglob("*")) == before


def test_an_output_placed_by_another_run_meanwhile_is_not_replaced_and_this_runs_is_kept(tmp_path):
    photo = _photos(tmp_path / "in", [(40, 48)], ["photo.png"]) / "photo.png"
    target = tmp_path / "photo_colorized.png"
    with pytest.raises(errors.OutputError, match=rf"{target} was placed by another run first; this run's output "
                                                 rf"is kept as {tmp_path / 'photo_colorized_kept.png'}\.$"):
        inference.colorize(_Unchanged({0: target}), photo, target)
    assert Image.open(target).size == (16, 16)  # The other run's.
    assert np.array_equal(np.asarray(Image.open(tmp_path / "photo_colorized_kept.png")), np.asarray(Image.open(photo)))
    inference.colorize(_Unchanged(), photo, target, overwrite=True)  # --overwrite replaces, as asked.
    assert Image.open(target).size == (48, 40)
    # A folder run goes on past the one photo another run placed, and says where its own is.
    photos = _photos(tmp_path / "photos", [(40, 48), (48, 40)], ["a.jpg", "b.jpg"])
    taken = tmp_path / "coloured" / "b.jpg"
    report = inference.colorize(_Unchanged({1: taken}), photos, tmp_path / "coloured")
    assert report.outputs == [tmp_path / "coloured" / "a.jpg"]
    assert report.failures == [(str(photos / "b.jpg"), f"{taken} was placed by another run first; this run's output "
                                                       f"is kept as {tmp_path / 'coloured' / 'b_kept.jpg'}.")]
    assert Image.open(taken).size == (16, 16) and Image.open(tmp_path / "coloured" / "b_kept.jpg").size == (40, 48)


def test_a_run_clears_what_killed_runs_left_in_its_output_folder_whatever_their_target(tmp_path):
    import subprocess
    import sys

    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                  text=True).stdout)
    photo = _photos(tmp_path / "in", [(40, 48)], ["photo.png"]) / "photo.png"
    out = tmp_path / "out"
    out.mkdir()
    leftovers = [out / f".{name}.{dead_pid}.abcd1234{files.TEMPORARY_MARK}{pathlib.Path(name).suffix}"
                 for name in ("clip_colorized.mp4", "other.png")]
    at_work = out / f".busy.mp4.1.abcd1234{files.TEMPORARY_MARK}.mp4"  # Process 1 is alive: a run at work.
    for path in [*leftovers, at_work]:
        path.write_bytes(b"half a file")
    inference.colorize(_Unchanged(), photo, out / "photo.png")
    assert sorted(path.name for path in out.iterdir()) == [at_work.name, "photo.png"]


def test_keyframes_of_the_wrong_kind_are_input_errors_naming_the_keyframe(tmp_path):
    (tmp_path / "keyframes").mkdir()
    frame = _colourful_clip(count=1)[0]
    cases = [
        ([frame], r"Keyframes must be a dict \{0-based frame index: colour picture or image path\}, not a list"),
        ({2: frame.astype(np.float32) / 255}, r"Keyframe 2 must be an RGB uint8 picture \(H, W, 3\) or an image "
                                              r"path; got float32 \(37, 51, 3\) \(a float picture in \[0, 1\]"),
        ({1: frame[..., 0]}, r"Keyframe 1 must be an RGB uint8 picture .*; got uint8 \(37, 51\)\.$"),
        ({3: [[1, 2], [3]]}, r"Keyframe 3 must be an RGB uint8 picture .*; got a list that is no array"),
        ({0: tmp_path / "keyframes"}, r"Keyframe 0: .*keyframes is a folder, not an image\.$"),
        ({0: str(tmp_path / "missing.png")}, r"Keyframe 0: .*missing.png does not exist"),
    ]
    for keyframes, message in cases:
        with pytest.raises(errors.InputError, match=message) as failure:
            inference.read_keyframes(keyframes)
        assert len(str(failure.value).splitlines()) == 1


def test_a_folder_is_coloured_as_photos_or_as_a_video_as_asked(tmp_path):
    # Issue #31 item 2: Mini-Places names its photos 00000010.jpg, ...; of one size, they read as frames.
    numbered = _photos(tmp_path / "in_canyon", [(40, 48)] * 3, [f"{index:08d}.jpg" for index in (10, 11, 12)])
    camera = _photos(tmp_path / "holiday", [(40, 48)] * 2, ["IMG_0001.jpg", "IMG_0002.jpg"])
    mixed = _photos(tmp_path / "mixsize", [(40, 48), (48, 40)])
    assert inference.colored_as_video(numbered) and not inference.colored_as_video(numbered, "photos")
    assert not inference.colored_as_video(camera) and inference.colored_as_video(camera, "video")
    assert video.not_frames_because(camera) == "not named by frame number"
    assert video.not_frames_because(mixed) == "numbered, but of different sizes (48x40 and 40x48)"
    report = inference.colorize(_Unchanged(), numbered, folder_as="photos")
    assert report.outputs == [tmp_path / "in_canyon_colorized" / f"{index:08d}.jpg" for index in (10, 11, 12)]
    # A video of photos of different sizes, or a file asked to be what it is not: one line, before any work.
    before = sorted(tmp_path.rglob("*"))
    cases = [(mixed, "video", r"mixsize cannot be coloured as a video: its images differ in size \(000.jpg is "
                              r"48x40, 001.jpg is 40x48\), and a video's frames have one size\.$"),
             (camera / "IMG_0001.jpg", "video", r"IMG_0001.jpg is not a video file, not a folder: it cannot be "
                                                r"coloured as a video\.$")]
    for source, folder_as, message in cases:
        with pytest.raises(errors.InputError, match=message) as failure:
            inference.colorize(_NoWork(), source, tmp_path / "out.mp4", folder_as=folder_as)
        assert len(str(failure.value).splitlines()) == 1
    with pytest.raises(errors.ColorNNError, match="folder_as must be one of 'photos', 'video' or None"):
        inference.colorize(_NoWork(), camera, folder_as="frames")
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.large
def test_importing_the_library_leaves_pillows_own_limit_alone():
    import subprocess
    import sys

    code = "from PIL import Image; limit = Image.MAX_IMAGE_PIXELS; import colornn_keras.inference; " \
           "print(Image.MAX_IMAGE_PIXELS == limit and limit is not None)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


@pytest.mark.parametrize("mode", ["per_frame", "keyframes_flow", "keyframes_flow_later", "keyframes_model",
                                  "keyframes_guided", "both_ways"])
def test_progress_counts_every_frame_of_every_pass(colorizer, tmp_path, mode):
    import dataclasses

    from colornn_keras.models import flow_guided

    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(5):
        Image.fromarray(make_scene((24, 32), seed=index % 2)).save(folder / f"{index:05d}.png")
    smoothing = flow_guided.FlowSmoothingModel(0.9, mismatch_scale=None)
    variants = {
        "per_frame": dict(consistency_model=None),
        "keyframes_flow": dict(keyframe_propagation="flow"),
        "keyframes_flow_later": dict(keyframe_propagation="flow"),
        "keyframes_model": dict(keyframe_propagation="model"),
        "keyframes_guided": dict(consistency_model=None, keyframe_propagation="guided", flow_guided_model=smoothing),
        "both_ways": dict(consistency_model=None, flow_guided_model=smoothing, both_ways=True),
    }
    variant = dataclasses.replace(colorizer, **variants[mode])
    keyframes = {0: make_scene((24, 32), seed=0)} if mode.startswith("keyframes") else None
    if mode == "keyframes_flow_later":
        keyframes = {3: make_scene((24, 32), seed=1)}
    counted = []
    inference.colorize(variant, folder, tmp_path / "out.mp4", progress=counted.append, keyframes=keyframes)
    passes = variant.passes(bool(keyframes))
    assert passes == {"per_frame": 1, "keyframes_flow": 1, "keyframes_flow_later": 1, "keyframes_model": 3,
                      "keyframes_guided": 4, "both_ways": 5}[mode]
    # Along the flow the frames stream (written as they are coloured); before the last keyframe,
    # frames 0-3 are read ahead and frames 0-2 carried back from it, each counted as it is done.
    total = 5 * passes + (4 + 3 if mode == "keyframes_flow_later" else 0)
    assert variant.progress_total(5, keyframes) == total
    assert sum(counted) == total and set(counted) == {1}  # One frame at a time, never a jump.
