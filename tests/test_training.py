"""Training recipes do what they promise: budgets, regularisers, schedules, exact resume, the offline demo."""

from __future__ import annotations

import pytest
import torch

from bench.data.training import training_set
from bench.training import Recipe, get_recipe, recipe_files, train
from bench.training.losses import cutout, interpretation_discrepancy, maximize, training_loss
from bench.zoo.architectures import build_architecture
from bench.zoo.model import BenchModel


@pytest.fixture(scope="module")
def digits():
    return training_set("digits")


def tiny_model(seed: int = 0) -> BenchModel:
    torch.manual_seed(seed)
    return BenchModel(build_architecture("digits_gap", 10, {"in_channels": 1, "width": 4}), None)


def test_the_cli_offers_every_training_set():
    from bench.cli.cmd_train import TRAINING_SETS as offered
    from bench.data.training import TRAINING_SETS

    assert offered == TRAINING_SETS


def test_every_shipped_recipe_validates():
    assert {
        "standard",
        "pgd-at",
        "trades",
        "cutout-pgd-at",
        "int",
        "int-adv",
        "int2",
        "int2-adv",
        "int-one",
    } <= set(recipe_files())
    for name in recipe_files():
        assert get_recipe(name).name == name


def test_pgd_at_examples_stay_in_the_ball_and_the_box(digits):
    model, x = tiny_model(), torch.from_numpy(digits[0][:32]).float() / 255
    y = torch.from_numpy(digits[1][:32])
    ce = lambda inputs: torch.nn.functional.cross_entropy(model(inputs), y, reduction="none")  # noqa: E731
    x_adv = maximize(ce, x, 0.2, 5, 0.05, True, torch.Generator().manual_seed(0))
    assert (
        float((x_adv - x).abs().max()) <= 0.2 + 1e-6
        and float(x_adv.min()) >= 0
        and float(x_adv.max()) <= 1
    )
    assert float(ce(x_adv).mean()) > float(ce(x).mean())


def test_the_int_regulariser_is_zero_when_the_perturbed_input_is_the_input(digits):
    model, x = tiny_model(), torch.from_numpy(digits[0][:16]).float() / 255
    y = torch.from_numpy(digits[1][:16])
    for one_class in (False, True):
        assert torch.equal(interpretation_discrepancy(model, x, x, y, one_class), torch.zeros(16))
    assert float(interpretation_discrepancy(model, x, x + 0.1, y).min()) > 0


def test_schedules_match_paper_001_at_given_steps():
    """CIFAR-10 in appendix D: 5000 steps of regular training, then ε rises linearly to 8/255 at the end."""
    recipe = get_recipe("int").model_copy(
        update={
            "eps_schedule": get_recipe("int").eps_schedule.model_copy(update={"warmup_steps": 5000})
        }
    )
    total = 10_000
    at = lambda step: recipe.eps_schedule.at(step, 8 / 255, total)  # noqa: E731
    assert at(0) == at(4999) == 0.0
    assert at(5000) == pytest.approx(8 / 255 / 5000) and at(7499) == pytest.approx(4 / 255)
    assert at(total - 1) == pytest.approx(8 / 255)
    lr = Recipe.model_validate(
        recipe.model_dump()
        | {"lr_schedule": {"boundaries": [100, 200], "values": [0.1, 0.01, 0.001]}}
    )
    assert [lr.lr_schedule.at(s, lr.lr) for s in (0, 99, 100, 199, 200)] == [
        0.1,
        0.1,
        0.01,
        0.01,
        0.001,
    ]
    assert recipe.attack.step_at(8 / 255) == pytest.approx(2 / 255)  # Madry et al.'s CIFAR-10 step


def test_cutout_makes_one_square_hole_of_the_recipe_size():
    holes = cutout(torch.ones(8, 1, 8, 8), 0.5, torch.Generator().manual_seed(1)) == 0
    sizes = holes.flatten(1).sum(1)
    assert bool((sizes <= 16).all()) and bool(
        (sizes >= 4).all()
    )  # 4×4, clipped at the border at most to 2×2


@pytest.mark.parametrize(
    "recipe",
    [
        "standard",
        "pgd-at",
        "trades",
        "cutout-pgd-at",
        "int",
        "int-adv",
        "int2",
        "int2-adv",
        "int-one",
    ],
)
def test_every_method_gives_a_finite_loss_with_gradients(digits, recipe):
    model, x = tiny_model(), torch.from_numpy(digits[0][:8]).float() / 255
    y = torch.from_numpy(digits[1][:8])
    r = get_recipe(recipe).model_copy(
        update={"attack": get_recipe(recipe).attack.model_copy(update={"steps": 2})}
    )
    loss, _ = training_loss(model, x, y, r, 0.1, torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss) and any(float(p.grad.abs().sum()) > 0 for p in model.parameters())


def quick_recipe(name: str = "digits-pgd-at") -> Recipe:
    r = get_recipe(name)
    return Recipe.model_validate(
        r.model_dump()
        | {"epochs": 3, "batch_size": 256, "eps_schedule": {"warmup_steps": 2, "ramp_end": None}}
    )


def test_resuming_gives_the_same_weights_as_not_stopping(digits, tmp_path):
    images, labels = digits[0][:512], digits[1][:512]
    whole = train(
        quick_recipe(),
        images,
        labels,
        arch="digits_gap",
        arch_params={"width": 4},
        dataset="digits",
        out=tmp_path / "whole",
        model_id="w",
    )
    calls = []

    def stop_in_epoch_two(description, total):
        def advance(n, **status):
            calls.append(n)
            if len(calls) == 3:  # the first step of the second epoch (2 steps per epoch)
                raise KeyboardInterrupt

        return advance

    with pytest.raises(KeyboardInterrupt):
        train(
            quick_recipe(),
            images,
            labels,
            arch="digits_gap",
            arch_params={"width": 4},
            dataset="digits",
            out=tmp_path / "cut",
            model_id="w",
            progress=stop_in_epoch_two,
        )
    resumed = train(
        quick_recipe(),
        images,
        labels,
        arch="digits_gap",
        arch_params={"width": 4},
        dataset="digits",
        out=tmp_path / "cut",
        model_id="w",
    )
    a = torch.load(whole.checkpoint, weights_only=True)
    b = torch.load(resumed.checkpoint, weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.log == whole.log


def test_train_command_writes_an_entry_that_evaluates(tmp_path, capsys):
    from bench.cli.main import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--recipe",
                "digits-standard",
                "--dataset",
                "digits",
                "--arch",
                "digits_gap",
                "--epochs",
                "2",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert "digits_digits_gap_digits_standard" in capsys.readouterr().out
    assert (
        main(
            [
                "evaluate",
                "--entry",
                str(out / "entry.yaml"),
                "--protocol",
                "digits-demo",
                "--n-examples",
                "20",
                "--results",
                str(tmp_path / "results"),
                "--no-progress",
                "--json",
            ]
        )
        == 0
    )
    assert '"gini_global"' in capsys.readouterr().out


def test_train_refuses_a_cam_recipe_on_a_network_without_cam(capsys):
    from bench.cli.main import main

    assert (
        main(
            [
                "train",
                "--recipe",
                "int",
                "--dataset",
                "digits",
                "--arch",
                "cnn_a",
                "--epochs",
                "1",
                "--no-progress",
                "--out",
                "/tmp/never",
            ]
        )
        == 2
    )
    assert "CAM head" in capsys.readouterr().err


def test_demo_runs_offline_and_writes_a_leaderboard(tmp_path, monkeypatch, capsys):
    from bench import assets
    from bench.cli.main import main

    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setattr(assets, "assets_dir", lambda: None)
    assert (
        main(["demo", "--epochs", "1", "--eps", "0.1", "--out", str(tmp_path), "--no-progress"])
        == 0
    )
    out = " ".join(capsys.readouterr().out.split())  # rich wraps to the terminal width
    assert (
        "Gini-g" in out
        and "ε 0 " in out
        and "→ ε 0.1 " in out
        and "(paired, " in out
        and "p = " in out
    )
    board = (tmp_path / "leaderboards" / "digits-Linf.md").read_text()
    assert (
        "demo_digits_standard" in board
        and "demo_digits_pgd_at_eps0.1" in board
        and "Gini-g" in board
    )
