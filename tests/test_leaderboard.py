"""The leaderboard is a pure function of result files, checked against a golden file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.leaderboard import GENERATED_MARK, render_leaderboards
from bench.protocols import get_protocol
from bench.results import Provenance, Result, read_result, write_result
from bench.results.values import mean, share
from bench.zoo.catalog import Zoo

GOLDEN = Path(__file__).parent / "golden"


def make_result(model_id: str, accuracy: float, n: int = 4) -> Result:
    protocol = get_protocol("quick").resolve("cifar10", n_examples=n)
    clean = share(
        "clean_accuracy", "clean_accuracy", "accuracy", higher_is_better=True, value=accuracy, n=n
    )
    return Result(
        model=Zoo.load().get(model_id),
        protocol=protocol.model_dump(mode="json"),
        protocol_digest=protocol.digest(),
        provenance=Provenance(
            bench_version="0",
            packages={"torch": "x"},
            python="3",
            platform="p",
            device="cpu",
            seed=0,
            batch_size=2,
            sample_ids=[str(i) for i in range(n)],
            started_at="2026-01-01T00:00:00+00:00",
            finished_at="2026-01-01T00:00:01+00:00",
            duration_s=1.0,
        ),
        values=[clean],
        details={"clean_accuracy": {"n": n}},
    )


RESULTS = [
    make_result("cifar_cnn_a_adv", 0.5),
    make_result("cifar10_resnet18_standard", 0.75),
    make_result("cifar_smallgap_adv", 0.25),
]


@pytest.mark.parametrize("page", ["cifar10-Linf.md", "models/cifar_smallgap_adv.md", "README.md"])
def test_pages_match_golden_files(page):
    pages = render_leaderboards(RESULTS)
    golden = GOLDEN / page.replace("/", "__")
    if os.environ.get("BENCH_UPDATE_GOLDEN"):
        golden.write_text(pages[page])
    assert pages[page] == golden.read_text()


def test_sorted_by_higher_is_better_and_marked_generated():
    board = render_leaderboards(RESULTS)["cifar10-Linf.md"]
    assert board.startswith(GENERATED_MARK)
    rows = [line for line in board.splitlines() if line.startswith("| ") and "Rank" not in line]
    assert [r.split("|")[2].strip().split("]")[0][1:] for r in rows] == [
        "cifar10_resnet18_standard",
        "cifar_cnn_a_adv",
        "cifar_smallgap_adv",
    ]


def test_input_order_does_not_matter():
    assert render_leaderboards(RESULTS) == render_leaderboards(RESULTS[::-1])


def test_result_round_trips_through_json(tmp_path):
    path = write_result(tmp_path, RESULTS[0])
    assert read_result(path) == RESULTS[0]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    "eps,text",
    [
        (8 / 255, "8/255"),
        (0.5 / 255, "0.5/255"),
        (0.2, "0.2"),
        (0.3, "0.3"),
        (0.1, "0.1"),
        (0.05, "0.05"),
        (3.0, "3"),
        (None, "-"),
    ],
)
def test_eps_is_written_as_people_write_it(eps, text):
    from bench.spec import format_eps

    assert format_eps(eps) == text


def test_runs_in_progress_are_not_results(tmp_path):
    from bench.results import read_results

    write_result(tmp_path, RESULTS[0])
    (tmp_path / RESULTS[0].model.id / "quick.partial.json").write_text('{"metrics": {}}')
    assert read_results(tmp_path) == [RESULTS[0]]


def make_inequality_result(model_id: str, gini_g: float, errors: float, n: int = 4) -> Result:
    """A cifar10-inequality-text result whose values are given (per-image data made to match them)."""
    protocol = get_protocol("cifar10-inequality-text").resolve("cifar10", n_examples=n)

    def inequality(q, per_image, **p):
        return mean(q, "inequality", q, per_image, higher_is_better=False, **p)

    def rate(name, v, **p):
        return share(name, "inequality", "error_rate", higher_is_better=False, value=v, n=n, **p)

    values = [
        share(
            "clean_accuracy", "clean_accuracy", "accuracy", higher_is_better=True, value=1.0, n=n
        ),
        inequality("gini_global", [gini_g] * n),
        inequality("gini_regional", [gini_g / 2] * n, region_size=4),
        rate("noise_i_err@102", errors, attack="noise_i", k=102, main=True),
        rate("noise_ii_err@102", errors + 0.25, attack="noise_ii", k=102, main=True),
        rate("noise_i_err@10", 0.0, attack="noise_i", k=10, main=False),
    ]
    values += [
        rate(
            f"occlusion_{c}_err@N10R4",
            errors / d,
            attack="occlusion",
            colour=c,
            max_count=10,
            max_radius=4,
            main=True,
        )
        for c, d in (("black", 1), ("grey", 2), ("white", 4))
    ]
    base = make_result(model_id, 1.0, n)
    return base.model_copy(
        update={
            "protocol": protocol.model_dump(mode="json"),
            "protocol_digest": protocol.digest(),
            "values": values,
        }
    )


def test_inequality_board_shows_main_budget_columns_ranked_by_protocol():
    results = [
        make_inequality_result("cifar_smallgap_adv", 0.8, 0.5),
        make_inequality_result("cifar_smallgap_normal", 0.6, 0.25),
    ]
    board = render_leaderboards(results, headlines={"cifar10-inequality-text": "gini_global"})[
        "cifar10-Linf.md"
    ]
    header = next(line for line in board.splitlines() if line.startswith("| Rank"))
    assert header == (
        "| Rank | Model | Training | Clean (%) ↑ | Gini-g ↓ | Gini-r ↓ | Noise-I k=102 (%) ↓ | "
        "Noise-II k=102 (%) ↓ | Occ-B N10R4 (%) ↓ | Occ-G N10R4 (%) ↓ | Occ-W N10R4 (%) ↓ | n | Flags |"
    )
    rows = [
        line for line in board.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")
    ]
    assert (
        "cifar_smallgap_normal" in rows[0]
        and "| 0.600 [0.600, 0.600] | 0.300 [0.300, 0.300] | 25.0 [" in rows[0]
    )
    assert "Ranked by Gini-g ↓ (lowest first)" in board
    assert "k=10 " not in board  # grid values stay on the model page
    page = render_leaderboards(results)["models/cifar_smallgap_adv.md"]
    assert "Noise-I k=10 (%) ↓" in page


def test_digest_of_protocols_without_new_fields_is_unchanged():
    assert (
        get_protocol("cifar10-default").resolve("cifar10").digest() == "c4cc88949379"
    )  # the committed cifar10-default results


def test_comparison_table_keeps_the_given_model_order_and_shows_intervals():
    from bench.leaderboard.comparison import render_comparison

    results = [
        make_inequality_result("cifar_smallgap_adv", 0.8, 0.5),
        make_inequality_result("cifar_smallgap_normal", 0.6, 0.25),
    ]
    text = render_comparison(
        results,
        ["cifar10-inequality-text", "absent"],
        ["cifar_smallgap_normal", "cifar_smallgap_adv"],
    )
    rows = [line for line in text.splitlines() if line.startswith("| cifar_")]
    assert rows[0].startswith("| cifar_smallgap_normal") and "| 0.800 [0.800, 0.800] |" in rows[1]
    assert "| 50.0 [6.8, 93.2] |" in rows[1]  # 2 of 4 images: the exact binomial interval
    assert text.count("### ") == 1 and "Generated by `bench table`" in text


def test_table_command_names_missing_protocols(tmp_path, capsys):
    from bench.cli.main import main

    write_result(tmp_path, make_inequality_result("cifar_smallgap_adv", 0.8, 0.5))
    assert (
        main(["table", "--protocols", "cifar10-inequality-text", "--results", str(tmp_path)]) == 0
    )
    assert "cifar_smallgap_adv" in capsys.readouterr().out
    assert main(["table", "--protocols", "nope", "--results", str(tmp_path)]) == 2
    assert "nope" in capsys.readouterr().err


# --- ranking: every shipped protocol declares a headline its metrics produce; every table is sorted by it ---


def _names_of(protocol) -> set[str]:
    """The value names a resolved protocol's metrics report (built with the metrics' own name functions)."""
    from bench.metrics import METRICS
    from bench.metrics.autoattack import autoattack_value
    from bench.metrics.inequality import NOISE_MODES, noise_value, occlusion_value
    from bench.metrics.interpretation import tau_value
    from bench.metrics.pgd_grid import fgsm_value, pgd_value
    from bench.metrics.proposition1 import prop1_accuracy_value
    from bench.spec import format_eps

    names: set[str] = set()
    for name, raw in protocol.metrics.items():
        p = METRICS.get(name).params_schema.model_validate(raw or {})
        if name == "clean_accuracy":
            names.add("clean_accuracy")
        elif name == "autoattack":
            names.add(autoattack_value(p.eps if p.eps is not None else protocol.eps))
        elif name == "pgd_grid":
            names |= {pgd_value(k, e) for e in p.eps for k in p.steps} | {
                fgsm_value(e) for e in p.eps
            }
        elif name == "inequality":
            names |= {"gini_global", "gini_regional"}
            names |= {
                noise_value(m, k) for k in (p.noise.k if p.noise else ()) for m in NOISE_MODES
            }
            names |= {
                occlusion_value(c, b)
                for b in (p.occlusion.budgets if p.occlusion else ())
                for c in p.occlusion.colors
            }
        elif name == "interpretation":
            names |= {tau_value(e) for e in p.eps}
        elif name == "proposition1":
            names |= {"prop1_holds", prop1_accuracy_value(p)}
        elif name == "isa":
            names |= {
                f"isa_{q}@{format_eps(e)}" for e in p.eps for q in ("success", "discrepancy", "nds")
            }
            names |= {f"isa_nds@eps*[{m}]" for m in (p.nsl.measures if p.nsl else ())}
    return names


def _shipped():
    from bench.protocols import get_protocol, protocol_files

    for name in protocol_files():
        protocol = get_protocol(name)
        for dataset in [protocol.dataset] if protocol.dataset else ["cifar10", "mnist"]:
            yield name, protocol.resolve(dataset)


@pytest.mark.parametrize(
    "name,protocol", list(_shipped()), ids=lambda x: x if isinstance(x, str) else x.dataset
)
def test_every_shipped_protocol_declares_a_headline_it_produces(name, protocol):
    assert protocol.rank_by, f"{name} declares no rank_by"
    assert protocol.rank_by in _names_of(protocol), (
        f"{name}: rank_by {protocol.rank_by!r} is not one of its values"
    )
    robustness = set(protocol.metrics) - {"clean_accuracy"}
    assert not robustness or protocol.rank_by != "clean_accuracy", (
        f"{name} ranks a robustness table by clean accuracy"
    )


def _tables(board: str) -> list[tuple[str, list[str]]]:
    """(protocol heading, model ids in row order) of each table of a rendered board."""
    out, heading = [], None
    for line in board.splitlines():
        if line.startswith("### Protocol"):
            heading = line
            out.append((heading, []))
        elif line.startswith("| ") and heading and not line.startswith("| Rank"):
            out[-1][1].append(line.split("|")[2].strip().split("]")[0][1:])
    return out


def test_every_committed_table_is_sorted_by_its_headline_in_its_direction():
    """Re-rank each committed table from its results: the board's order equals headline order, best first."""
    from bench.leaderboard.columns import BATTERY_COLUMNS
    from bench.leaderboard.render import headline, is_battery
    from bench.protocols import shipped_headlines
    from bench.results import read_results

    results = read_results(Path(__file__).parent.parent / "leaderboards" / "results")
    boards = {
        p.name: p.read_text()
        for p in (Path(__file__).parent.parent / "leaderboards").glob("*-*.md")
    }
    heads, checked = shipped_headlines(), 0
    for board in boards.values():
        for heading, order in _tables(board):
            digest = heading.split("digest `")[1][:12]
            group = {
                r.model.id: r
                for r in results
                if r.protocol_digest == digest and f"`{r.protocol['name']}`" in heading
            }
            assert set(order) == set(group), heading
            value = (
                (lambda r: BATTERY_COLUMNS[1].pick(r.values))
                if is_battery(next(iter(group.values())))
                else (lambda r: headline(r, heads))
            )
            keyed = [value(group[m]) for m in order]
            numbers = [
                (-v.value if v.higher_is_better else v.value)
                if v and v.value is not None
                else float("inf")
                for v in keyed
            ]
            assert numbers == sorted(numbers), heading
            checked += 1
    assert checked >= 10


def test_battery_table_ranks_by_autoattack_with_intervals_and_direction():
    from bench.results.values import share as s

    def battery(model_id, aa, gini):
        base = make_inequality_result(model_id, gini, 0.25)
        protocol = get_protocol("cifar10-battery-linf").resolve("cifar10", n_examples=4)
        values = base.values + [
            s(
                "autoattack_acc@8/255",
                "autoattack",
                "accuracy",
                higher_is_better=True,
                value=aa,
                n=4,
                attack="autoattack",
                eps=8 / 255,
            )
        ]
        return base.model_copy(
            update={
                "protocol": protocol.model_dump(mode="json"),
                "protocol_digest": protocol.digest(),
                "values": values,
                "details": {"interpretation": {"skipped": "no CAM head"}},
            }
        )

    board = render_leaderboards(
        [battery("cifar_smallgap_normal", 0.0, 0.5), battery("cifar_smallgap_adv", 0.5, 0.8)]
    )
    text = board["cifar10-Linf.md"]
    assert text.index("## Battery") < text.index("### Protocol `cifar10-battery-linf`")
    header = next(line for line in text.splitlines() if line.startswith("| Rank"))
    assert header.startswith(
        "| Rank | Model | Training | Clean (%) ↑ | AutoAttack (%) ↑ | Gini-g ↓ | Gini-r ↓ | "
        "Noise-I (%) ↓ | Noise-II (%) ↓ | Occ-B (%) ↓ | Occ-G (%) ↓ | Occ-W (%) ↓ | τ ↑ |"
    )
    assert [m for _, m in _tables(text)][0] == ["cifar_smallgap_adv", "cifar_smallgap_normal"]
    assert (
        "| 50.0 [6.8, 93.2] |" in text
        and "n/a†" in text
        and "† interpretation: no CAM head" in text
    )


def test_long_table_has_one_row_per_value_with_parameters_as_columns():
    from bench.leaderboard.tables import export, value_frame

    results = [make_inequality_result("cifar_smallgap_adv", 0.8, 0.5)]
    frame = value_frame(results)
    assert len(frame) == len(results[0].values) and "param.k" in frame and "ci_low" in frame
    row = frame[frame["name"] == "noise_i_err@102"].iloc[0]
    assert (row["param.k"], row["param.attack"], row["higher_is_better"]) == (102, "noise_i", False)
    assert export(results, "csv").splitlines()[0].startswith("model,dataset,threat_model,protocol,")
    assert json.loads(export(results, "json"))[0]["model"] == "cifar_smallgap_adv"


def test_committed_boards_are_what_bench_leaderboard_renders():
    """`bench leaderboard` regenerates the committed pages byte for byte (figures: the committed PNG names)."""
    from bench.protocols import shipped_headlines
    from bench.results import read_results

    root = Path(__file__).parent.parent / "leaderboards"
    figures = [str(p.relative_to(root)) for p in root.glob("models/*.png")]
    pages = render_leaderboards(read_results(root / "results"), figures, shipped_headlines())
    committed = {
        str(p.relative_to(root)): p.read_text()
        for p in [*root.glob("*.md"), *root.glob("models/*.md")]
    }
    assert set(pages) == set(committed)
    assert [k for k in pages if pages[k] != committed[k]] == []


def test_a_bad_result_file_is_skipped_with_a_warning_and_the_other_boards_are_written(
    tmp_path, capsys
):
    from bench.cli.main import main

    write_result(tmp_path / "results", RESULTS[0])
    bad = tmp_path / "results" / "cifar_smallgap_adv" / "quick.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"schema_version": 2, "model": ')
    assert (
        main(
            [
                "leaderboard",
                "--results",
                str(tmp_path / "results"),
                "--out",
                str(tmp_path / "boards"),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "skipped" in err and "quick.json" in err and "Traceback" not in err
    assert (tmp_path / "boards" / "cifar10-Linf.md").is_file()


def test_occlusion_curve_ends_at_the_boards_value_and_exists_only_for_radius_outer_loops():
    from bench.leaderboard.figures_inequality import occlusion_curves

    root = Path(__file__).parent.parent / "leaderboards" / "results" / "cifar10_resnet18_standard"
    code = read_result(root / "cifar10-inequality-code.json")
    curve = occlusion_curves(code)["black"]
    rates = [e for _, e in curve]
    assert [r for r, _ in curve] == [1, 2, 3, 4] and rates == sorted(rates)
    assert rates[-1] == pytest.approx(code.value("occlusion_black_err@N10R4").value)
    assert (
        occlusion_curves(read_result(root / "cifar10-inequality-text.json")) == {}
    )  # count-outer: no curve


def test_example_figures_of_an_earlier_render_are_kept_when_their_examples_are_absent(tmp_path):
    """A fresh checkout has no examples.npz (they hold test images): the earlier figure stays linked."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.leaderboard.write import kept_example_figures, marked_png, write_leaderboards

    result = RESULTS[0]
    write_result(tmp_path / "results", result)
    fig = plt.figure(figsize=(1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    name = f"{result.model.id}-{result.protocol['name']}-attribution.png"
    models = tmp_path / "models"
    models.mkdir()
    (models / name).write_bytes(marked_png(buffer.getvalue()))
    (models / f"gone-{name}").write_bytes(marked_png(buffer.getvalue()))  # no result: stale
    (models / name.replace("attribution", "corrupted")).write_bytes(
        buffer.getvalue()
    )  # not bench's
    kept = kept_example_figures([result], {}, models)
    assert list(kept) == [f"models/{name}"]
    assert marked_png(kept[f"models/{name}"]) == kept[f"models/{name}"]  # marked once
    write_leaderboards(tmp_path / "results", tmp_path)
    assert (models / name).is_file() and not (models / f"gone-{name}").exists()
    foreign = models / name.replace("attribution", "corrupted")
    assert foreign.read_bytes() == buffer.getvalue()  # a file bench did not write is left alone
    assert (
        f"models/{name}".split("/")[1]
        in (tmp_path / "models" / f"{result.model.id}.md").read_text()
    )
