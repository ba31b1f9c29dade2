import numpy as np
import pytest
from PIL import Image

from colornn_keras import colorspace
from colornn_keras.data import images


def test_find_images_is_recursive_sorted_and_filters_extensions(image_folder):
    (image_folder / "notes.txt").write_text("not an image")
    found = images.find_images(image_folder)
    assert len(found) == 14
    assert found == sorted(found)
    assert any(path.parent.name == "nested" for path in found)


def test_find_images_explains_an_empty_or_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="holds no images"):
        images.find_images(tmp_path)
    with pytest.raises(ValueError, match="is not a folder"):
        images.find_images(tmp_path / "missing")


def test_black_and_white_photos_are_set_apart(image_folder):
    scan = images.scan_images(images.find_images(image_folder))
    assert len(scan.color) == 12
    assert sorted(path.split("/")[-1] for path in scan.grayscale) == ["bw_0.jpg", "bw_1.jpg"]
    assert scan.unreadable == []


def test_a_corrupt_file_is_skipped_and_reported(image_folder):
    (image_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.warns(UserWarning, match="broken.jpg"):
        scan = images.scan_images(images.find_images(image_folder))
    assert [path.split("/")[-1] for path, _ in scan.unreadable] == ["broken.jpg"]
    assert len(scan.color) == 12


def test_split_is_deterministic_disjoint_and_sized():
    files = [f"image_{index:03d}.jpg" for index in range(100)]
    first = images.split_files(files, (60, 20, 10), seed=3)
    assert first == images.split_files(list(reversed(files)), (60, 20, 10), seed=3)
    assert first != images.split_files(files, (60, 20, 10), seed=4)
    assert [len(first[part]) for part in ("train", "val", "test")] == [60, 20, 10]
    assert not set(first["train"]) & set(first["val"]) and not set(first["val"]) & set(first["test"])
    assert not set(first["train"]) & set(first["test"])
    fractions = images.split_files(files, (0.8, 0.1, 0.1), seed=0)
    assert [len(fractions[part]) for part in ("train", "val", "test")] == [80, 10, 10]


def test_split_asking_for_too_many_images_explains_itself():
    with pytest.raises(ValueError, match="only 10 colour images were found; ask for fewer"):
        images.split_files([f"{index}.jpg" for index in range(10)], (3000, 500, 500))


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16", "RGB"])
def test_every_image_mode_decodes_to_rgb(tmp_path, mode):
    rgb = (np.random.default_rng(0).random((20, 30, 3)) * 255).astype(np.uint8)
    image = Image.fromarray(rgb)
    if mode == "I;16":
        image = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)  # uint16 gives mode I;16.
        assert image.mode == "I;16"
    elif mode != "RGB":
        image = image.convert(mode)
    path = tmp_path / ("image.tif" if mode in ("I;16", "CMYK") else "image.png")
    image.save(path)
    decoded = images.open_rgb(path)
    assert decoded.shape == (20, 30, 3) and decoded.dtype == np.uint8
    if mode == "I;16":
        np.testing.assert_array_equal(decoded[..., 1], rgb[..., 0])


def test_pipeline_yields_luma_and_bin_targets(image_folder):
    files = images.scan_images(images.find_images(image_folder)).color
    dataset = images.make_dataset(files, image_size=32, batch_size=5, num_bins=30)
    luma, targets = next(iter(dataset))
    assert luma.shape == (5, 32, 32, 1) and targets["u"].shape == (5, 32, 32)
    assert 0.0 <= float(np.min(luma)) and float(np.max(luma)) <= 1.0
    assert targets["u"].dtype == "int32" and 0 <= int(np.min(targets["v"])) and int(np.max(targets["v"])) < 30
    total = sum(int(batch[0].shape[0]) for batch in dataset)
    assert total == len(files)


def test_evaluation_pipeline_is_the_centre_crop_and_training_one_flips(tmp_path):
    # A 32x48 image whose left half is red and right half blue.
    rgb = np.zeros((32, 48, 3), np.uint8)
    rgb[:, :24, 0] = 255
    rgb[:, 24:, 2] = 255
    path = tmp_path / "halves.png"
    Image.fromarray(rgb).save(path)
    luma, targets = next(iter(images.make_dataset([path], 32, 1, variant="regression")))
    expected = colorspace.rgb_to_yuv(rgb[:, 8:40].astype(np.float32) / 255.0)
    np.testing.assert_allclose(luma[0, ..., 0], expected[..., 0], atol=1e-5)
    np.testing.assert_allclose(targets["u"][0, ..., 0], expected[..., 1], atol=1e-5)
    flipped = 0
    training = images.make_dataset([path] * 20, 32, 20, variant="regression", training=True, seed=1)
    u_values = next(iter(training))[1]["u"].numpy()
    flipped = sum(u[0, 0, 0] > 0 for u in u_values)  # Blue on the left means flipped.
    assert 0 < flipped < 20


def test_a_file_that_breaks_after_the_scan_is_skipped_inside_the_pipeline(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.full((16, 16, 3), 100, np.uint8)).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbage")
    failures = images.DecodeFailures()
    with pytest.warns(UserWarning, match="bad.png"):
        batches = list(images.make_dataset([good, bad], 16, 4, failures=failures))
    assert sum(int(batch[0].shape[0]) for batch in batches) == 1
    assert list(failures.failed) == [str(bad)]


def test_scan_with_max_color_stops_at_a_seeded_sample(image_folder):
    files = images.find_images(image_folder)
    everything = images.scan_images(files)
    sample = images.scan_images(files, max_color=5, seed=1)
    assert len(sample.color) == 5 and set(sample.color) <= set(everything.color)
    assert images.scan_images(list(reversed(files)), max_color=5, seed=1).color == sample.color
    assert images.scan_images(files, max_color=100).color == everything.color


def _sets_root(tmp_path, sets, per_set=4):
    """A data root whose top-level folders are sets of small photos."""
    from tests.conftest import make_scene

    root = tmp_path / "stills"
    for set_index, name in enumerate(sets):
        (root / name).mkdir(parents=True)
        for index in range(per_set):
            Image.fromarray(make_scene((24, 28), 10 * set_index + index)).save(root / name / f"{index:04d}.jpg")
    return root


def test_set_selection_by_include_and_exclude_globs(tmp_path):
    root = _sets_root(tmp_path, ["sun_ocean", "miniplaces_canyon", "miniplaces_dam"])
    everything = images.find_images(root)
    assert images.count_sets(everything, root) == {"miniplaces_canyon": 4, "miniplaces_dam": 4, "sun_ocean": 4}
    only_miniplaces = images.find_images(root, include=["miniplaces_*"], exclude=["*dam"])
    assert images.count_sets(only_miniplaces, root) == {"miniplaces_canyon": 4}
    with pytest.raises(ValueError, match="No set .* matches.*its sets are: miniplaces_canyon, miniplaces_dam, sun_ocean"):
        images.find_images(root, include=["lake"])


def test_oversample_repeats_the_matched_sets_photos_and_refuses_a_glob_that_matches_none(tmp_path):
    root = _sets_root(tmp_path, ["sun_ocean", "harbor", "miniplaces_canyon"])
    files = images.find_images(root)
    mixed = images.oversample(files, root, [("sun_*", 3), ("harbor", 2)])
    assert images.count_sets(mixed, root) == {"sun_ocean": 12, "harbor": 8, "miniplaces_canyon": 4}
    assert sorted(set(mixed)) == files  # Repeated, never new or lost.
    assert images.oversample(files, root, ()) == files
    with pytest.raises(ValueError, match="'lake' matches none of the training sets: harbor, miniplaces_canyon, sun_ocean"):
        images.oversample(files, root, [("lake", 2)])


def test_linked_folders_are_followed_and_a_link_loop_ends(tmp_path):
    # The README's advice for SUN397: a folder of links to the categories you want.
    real = _sets_root(tmp_path, ["coast", "river"])
    links = tmp_path / "links"
    links.mkdir()
    (links / "coast").symlink_to(real / "coast", target_is_directory=True)
    (real / "river" / "loop").symlink_to(real / "river", target_is_directory=True)
    assert images.count_sets(images.find_images(links), links) == {"coast": 4}
    assert len(images.find_images(real)) == 8  # The loop is entered once, not forever.


def test_paper_sets_are_the_default_selection_only_where_present(tmp_path):
    root = _sets_root(tmp_path, ["sun_ocean", "miniplaces_harbor", "miniplaces_canyon"], per_set=1)
    assert images.paper_sets_selection(root) == ("sun_ocean", "miniplaces_harbor")
    assert images.paper_sets_selection(_sets_root(tmp_path / "other", ["lake"], per_set=1)) is None


def test_the_holdout_test_part_does_not_depend_on_the_validation_or_training_size():
    files = [f"{index:03d}.jpg" for index in range(100)]
    first = images.holdout_split(files, (10, 20), seed=0)
    assert first["test"] == images.holdout_split(files, (30, 20), seed=0)["test"]
    assert first["test"] != images.holdout_split(files, (10, 20), seed=1)["test"]
    assert len(first["train"]) == 70 and not set(first["train"]) & (set(first["val"]) | set(first["test"]))
    assert set(first["train"]) | set(first["val"]) | set(first["test"]) == set(files)


@pytest.mark.parametrize("augmentation", images.AUGMENTATIONS)
def test_augmentation_keeps_luma_and_chroma_aligned(tmp_path, augmentation):
    # Left half bright red, right half dark blue: after any crop, resize and flip, each pixel's
    # luma must still say which colour its targets hold.
    rgb = np.zeros((64, 96, 3), np.uint8)
    rgb[:, :48] = (230, 40, 40)
    rgb[:, 48:] = (20, 30, 120)
    path = tmp_path / "halves.png"
    Image.fromarray(rgb).save(path)
    dataset = images.make_dataset([path] * 8, 32, 8, variant="regression", training=True, seed=3,
                                  augmentation=augmentation)
    luma, targets = next(iter(dataset.as_numpy_iterator()))
    red_luma, blue_luma = (colorspace.rgb_to_yuv(np.array(color, np.float32) / 255.0)[0] for color in
                           ((230, 40, 40), (20, 30, 120)))
    red, blue = np.abs(luma[..., 0] - red_luma) < 0.02, np.abs(luma[..., 0] - blue_luma) < 0.02
    assert red.sum() > 0 and blue.sum() > 0
    assert (targets["v"][..., 0][red] > 0.2).all()  # Red: strongly positive V.
    assert (targets["u"][..., 0][blue] > 0.1).all()  # Blue: positive U.


def test_fraction_splits_never_ask_for_more_files_than_there_are():
    files = [f"{index}.jpg" for index in range(24)]
    split = images.split_files(files, (0.7, 0.15, 0.15))  # Rounded one by one: 17 + 4 + 4 = 25.
    assert [len(split[part]) for part in ("train", "val", "test")] == [17, 3, 4]


def test_resize_short_side_keeps_the_aspect_ratio_and_never_goes_below_the_side():
    wide = np.zeros((40, 100, 3), np.uint8)
    assert images.resize_short_side(wide, 20).shape == (20, 50, 3)
    assert images.resize_short_side(wide.transpose(1, 0, 2), 80).shape == (200, 80, 3)
    assert images.resize_short_side(np.zeros((33, 34, 3), np.uint8), 32).shape == (32, 33, 3)
    assert images.resize_short_side(wide, 40) is wide  # Already at size: no resampling.


def test_a_training_stream_mixes_the_sets_even_when_they_outnumber_its_shuffle_buffer(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    from colornn_keras.data import images

    # Two sets, dark and bright, listed sorted (grouped by set) as every split is.
    files = []
    for name, level in (("a_dark", 20), ("b_bright", 235)):
        (tmp_path / name).mkdir()
        for index in range(24):
            path = tmp_path / name / f"{index:03d}.png"
            Image.fromarray(np.full((8, 8, 3), level, np.uint8)).save(path)
            files.append(path)
    monkeypatch.setattr(images, "SHUFFLE_BUFFER", 4)
    dataset = images.make_dataset(files, 8, 12, training=True, seed=0, variant="regression")
    luma, _ = next(iter(dataset.as_numpy_iterator()))
    bright = (luma.reshape(len(luma), -1).mean(axis=1) > 0.5).sum()
    assert 2 <= bright <= 10  # The first batch holds both sets, not the first set's photos only.
