"""The Colorizer: frames coloured at their full resolution in every video mode (free-running,
recurrent, keyframes by model, along the flow or guided, smoothing both ways), keeping their own
luma; non-finite predictions refused; progress counted over every pass."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from colornn_keras import colorize_files
from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import inference
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from colornn_keras.data import yuv
from colornn_keras.models import consistency
from tests.conftest import make_scene, panning_frames


def _luma(rgb):
    return colorspace.rgb_to_luma(np.asarray(rgb, np.float32) / 255.0)[..., 0]


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
    with video_encoding.VideoWriter(source, fps=10) as writer:
        for frame in panning_frames(4):
            writer.write(frame)
    report = colorize_files.colorize(recurrent_colorizer, source)
    assert video.probe(report.outputs[0]).frame_count == 4
    frames = panning_frames(3)
    outputs = list(recurrent_colorizer.colorize_sequence(frames))
    for frame, output in zip(frames, outputs):
        luma_in = colorspace.rgb_to_luma(frame / 255.0)
        assert np.abs(colorspace.rgb_to_luma(output / 255.0) - luma_in).max() < 3 / 255



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
    report = colorize_files.colorize(mode_colorizer, source, tmp_path / "out.mp4", keyframes=keyframes)
    info = video.probe(tmp_path / "out.mp4")
    # H.264's 4:2:0 chroma needs even sides: the writer pads one edge pixel, which the mp4 crops
    # back off (video_encoding.VideoWriter).
    assert report.frames == info.frame_count == 10 and (info.width, info.height) == (51, 37)
    written = _read_back(tmp_path / "out.mp4")
    # The luma is the source's but for what x264 loses: no worse than the source's own frames
    # through the same writer.
    with video_encoding.VideoWriter(tmp_path / "source.mp4", fps=30) as writer:
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
            colorize_files.colorize(colorizer, clip, tmp_path / "out.mp4", keyframes=keyframes)
        assert len(str(failure.value).splitlines()) == 1
    without_consistency = inference.Colorizer(colorizer.color_model, keyframe_propagation="model")
    with pytest.raises(errors.ColorNNError, match="Keyframes need the consistency model"):
        colorize_files.colorize(without_consistency, source, tmp_path / "out.mp4", keyframes={0: frames[0]})
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
        colorize_files.colorize(nan_colorizer, source, tmp_path / f"out{source.suffix or '.mp4'}", keyframes=keyframes)
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


def test_the_features_fill_colours_a_clip_from_its_keyframe_through_a_file(colorizer, tmp_path):
    # A colourful texture panning right: with the features fill, every frame keeps its luma and
    # stays far closer to the truth than the color model's own guess, in memory and in the mp4.
    from tests.test_propagation import _panning_texture

    frames = list(_panning_texture(count=8, size=(48, 64), step=3))
    featured = inference.Colorizer(colorizer.color_model, batch_size=4, keyframe_fill="features")
    outputs = list(featured.colorize_sequence_with_keyframes(frames, {0: frames[0]}))
    automatic = list(inference.Colorizer(colorizer.color_model, batch_size=4).colorize_sequence(frames))
    assert len(outputs) == 8
    for index, (frame, output) in enumerate(zip(frames, outputs)):
        assert np.abs(_luma(output) - _luma(frame)).max() <= 1.0 / 255 + 1e-6
        if index:
            error = np.abs(_uv(output) - _uv(frame)).mean()
            assert error < 0.5 * np.abs(_uv(automatic[index]) - _uv(frame)).mean(), index
    report = colorize_files.colorize(featured, _frame_folder(tmp_path / "frames", frames), tmp_path / "out.mp4",
                                     keyframes={0: frames[0]})
    written = list(video.read_frames(tmp_path / "out.mp4"))
    assert report.frames == len(written) == 8 and written[7].shape == frames[7].shape
    assert np.abs(_uv(written[7]) - _uv(frames[7])).mean() < 0.5 * np.abs(_uv(automatic[7]) - _uv(frames[7])).mean()



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
    yuv_format = yuv.YuvFormat("yuv420p", "smpte170m")
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


class _OneColour:
    """A color model that predicts one colour's bins everywhere, at 16x16 (no network to run)."""

    input_shape = (None, 16, 16, 1)

    def predict_on_batch(self, luma):
        return {axis: np.broadcast_to(np.eye(NUM_BINS, dtype=np.float32)[NUM_BINS // 2 + 3],
                                      (len(luma), 16, 16, NUM_BINS)) for axis in ("u", "v")}


@pytest.mark.large
def test_keyframes_along_the_flow_take_memory_that_does_not_grow_with_the_clip():
    import tracemalloc

    yuv_format = yuv.YuvFormat("yuv420p", "smpte170m")
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
    colorize_files.colorize(variant, folder, tmp_path / "out.mp4", progress=counted.append, keyframes=keyframes)
    passes = variant.passes(bool(keyframes))
    assert passes == {"per_frame": 1, "keyframes_flow": 1, "keyframes_flow_later": 1, "keyframes_model": 3,
                      "keyframes_guided": 4, "both_ways": 5}[mode]
    # Along the flow the frames stream (written as they are coloured); before the last keyframe,
    # frames 0-3 are read ahead and frames 0-2 carried back from it, each counted as it is done.
    total = 5 * passes + (4 + 3 if mode == "keyframes_flow_later" else 0)
    assert variant.progress_total(5, keyframes) == total
    assert sum(counted) == total and set(counted) == {1}  # One frame at a time, never a jump.


def test_rgb_frames_are_coloured_as_their_luma_planes_are(colorizer):
    # RGB is a thin adapter onto the one path: frames reduced to their luma planes, coloured there.
    from colornn_keras.data import pictures

    frames = _colourful_clip(count=4)
    planes = [pictures.luma(frame) for frame in frames]
    along_flow = inference.Colorizer(colorizer.color_model, batch_size=3)
    for from_rgb, from_planes in (
            (colorizer.predict_chroma_sequence(frames), colorizer.predict_chroma_planes(planes)),
            (along_flow.predict_chroma_along_flow(frames, {1: frames[1]}),
             along_flow.predict_chroma_planes_along_flow(planes, None, {1: frames[1]}))):
        pairs = list(zip(from_rgb, from_planes))
        assert len(pairs) == 4
        for (luma, uv), (plane, plane_uv) in pairs:
            np.testing.assert_array_equal(luma, plane)
            np.testing.assert_array_equal(uv, plane_uv)
