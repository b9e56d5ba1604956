"""Test sets and sample selection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.data import open_testset, select_samples
from bench.data.selection import Selection
from bench.data.testsets import ArrayTestSet
from bench.errors import SpecError


def toy(n=10):
    x = np.arange(n * 3 * 2 * 2, dtype=np.uint8).reshape(n, 3, 2, 2)
    return ArrayTestSet("toy", x, np.arange(n) % 3, origin="toy")


def test_array_testset_scales_to_unit_interval_and_keeps_order():
    ts = toy()
    x, y = ts.load(np.array([3, 1]))
    assert x.dtype == torch.float32 and x.max() <= 1 and torch.equal(y, torch.tensor([0, 1]))
    assert torch.allclose(x[0] * 255, torch.from_numpy(ts.images[3]).float())


def test_nhw_arrays_get_a_channel_axis():
    ts = ArrayTestSet("g", np.zeros((4, 5, 5), np.uint8), np.zeros(4), origin="g")
    assert ts.load(np.arange(2))[0].shape == (2, 1, 5, 5)


def test_first_and_seeded_random_selection():
    ts = toy(50)
    assert select_samples(ts, Selection(n=5)).tolist() == [0, 1, 2, 3, 4]
    a = select_samples(ts, Selection(strategy="random", n=5, seed=1))
    assert a.tolist() == select_samples(ts, Selection(strategy="random", n=5, seed=1)).tolist()
    assert a.tolist() != select_samples(ts, Selection(strategy="random", n=5, seed=2)).tolist()
    assert len(set(a.tolist())) == 5


def test_only_correct_keeps_images_every_predictor_gets_right():
    ts = toy(30)  # labels i % 3
    always_zero = lambda x: torch.zeros(len(x), dtype=torch.long)  # noqa: E731
    chosen = select_samples(ts, Selection(n=4, only_correct=True), [always_zero], batch_size=7)
    assert chosen.tolist() == [0, 3, 6, 9]
    with pytest.raises(SpecError, match="classified correctly"):
        select_samples(ts, Selection(n=11, only_correct=True), [always_zero])


def test_asking_for_too_many_images_is_a_clear_error():
    with pytest.raises(SpecError, match="Asked for 11"):
        select_samples(toy(10), Selection(n=11))


def test_shared_sets_via_assets(shared_assets):
    cifar = open_testset("cifar10")
    assert len(cifar) == 1000 and cifar.load(np.arange(2))[0].shape == (2, 3, 32, 32)
    mnist = open_testset("mnist")
    assert len(mnist) == 10000 and mnist.load(np.arange(2))[0].shape == (2, 1, 28, 28)


def test_imagenet_sample_folder_labels_and_preprocessing(shared_assets):
    ts = open_testset("imagenet", transform="Res256Crop224")
    assert len(ts) == 100
    first = ts.ids.index("n01440764/n01440764_tench.JPEG")
    assert ts.labels[first] == 0  # tench is class 0
    assert sorted(set(ts.labels.tolist())) == list(range(0, 1000, 10))  # every 10th class
    x, _ = ts.load(np.array([first]))
    assert x.shape == (1, 3, 224, 224) and 0 <= x.min() and x.max() <= 1
