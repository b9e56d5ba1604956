"""The HTML leaderboard (``bench leaderboard --html``): its files, and the site in a real browser.

The browser tests start Debian's Chromium headless through ``/usr/bin/chromedriver`` with
selenium (the setup of ``docs/tools/screenshot_leaderboard.py``), serve the site built from the
committed results on 127.0.0.1 and read what the browser shows. They skip with the reason when
Chromium or its driver is missing, and fail instead when ``BENCH_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bench.leaderboard.html import HTML_MARK, render_site
from bench.protocols import shipped_headlines
from bench.results import read_results

ROOT = Path(__file__).resolve().parent.parent
BOARDS = ROOT / "leaderboards"
SCREENSHOT = ROOT / "docs" / "img" / "leaderboard-cifar10.png"
NOISE_I = "Noise-I (%) ↓"
FIGURE_MODELS = (
    "cifar10_resnet18_standard",
    "mnist_smallgap_adv",
)  # model pages opened in the browser


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "screenshot_leaderboard", ROOT / "docs/tools/screenshot_leaderboard.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope="module")
def committed_results():
    return read_results(BOARDS / "results")


@pytest.fixture(scope="module")
def site_files(committed_results):
    """The site of the committed results, with the committed figures (what `bench leaderboard` renders)."""
    figures = {str(p.relative_to(BOARDS)): p.read_bytes() for p in BOARDS.glob("models/*.png")}
    return render_site(committed_results, figures, shipped_headlines())


@pytest.fixture(scope="module")
def site(site_files, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    for rel, data in site_files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def test_every_page_is_marked_and_refers_only_to_files_of_the_site(site_files):
    pages = {rel: data.decode() for rel, data in site_files.items() if rel.endswith(".html")}
    assert {
        "index.html",
        "cifar10-Linf.html",
        "mnist-Linf.html",
        "models/cifar_smallgap_adv.html",
    } <= set(pages)
    for rel, text in pages.items():
        assert text.startswith(HTML_MARK + "\n"), rel
        assert "Content-Security-Policy" in text and "default-src 'none'" in text, rel
        for _kind, target in re.findall(r'<(?:img|script|link)[^>]*?(src|href)="([^"]*)"', text):
            assert not urlparse(target).scheme or target == "data:,", (
                rel,
                target,
            )  # no request leaves the site
            if not target.startswith("data:"):
                local = os.path.normpath(os.path.join(os.path.dirname(rel), target))
                assert local in site_files, (rel, target)
        for target in re.findall(r'<a href="([^"#]+)', text):
            local = os.path.normpath(os.path.join(os.path.dirname(rel), target))
            assert urlparse(target).scheme in ("http", "https") or local in site_files, (
                rel,
                target,
            )


def test_cells_sort_on_the_value_records_and_show_their_intervals(committed_results):
    from bench.leaderboard.columns import BATTERY_COLUMNS, cell
    from bench.leaderboard.html import board_tables

    board = [r for r in committed_results if r.protocol["dataset"] == "cifar10"]
    battery = board_tables(board, shipped_headlines())[0]
    assert battery.battery and len(battery.rows) == len(
        {r.model.id for r in board if r.protocol.get("battery")}
    )
    by_model = {r.model.id: r for r in board if r.protocol.get("battery")}
    column = 3 + 1  # Rank, Model, Training, Clean, AutoAttack
    for model, cells in battery.rows:
        value = BATTERY_COLUMNS[1].pick(by_model[model].values)
        assert (
            cells[column].sort == repr(value.value)
            and cells[column].text == cell(value)
            and "[" in cells[column].text
        )


def test_a_board_without_battery_results_says_so_on_the_index(committed_results):
    other = [r for r in committed_results if r.protocol["name"] == "cifar10-default"]
    index = render_site(other)["index.html"].decode()
    assert (
        "No battery results on this board yet" in index and '<table class="sortable"' not in index
    )


def test_the_page_a_model_description_cannot_inject_markup(committed_results):
    result = committed_results[0]
    hostile = result.model_copy(
        update={"model": result.model.model_copy(update={"description": "<script>x()</script>"})}
    )
    page = render_site([hostile])[f"models/{result.model.id}.html"].decode()
    assert "<script>x()" not in page and "&lt;script&gt;x()" in page


def test_a_robustbench_entry_shows_robustbench_figures_beside_ours(committed_results):
    from bench.leaderboard.columns import cell
    from bench.zoo.catalog import Zoo
    from bench.zoo.robustbench_info import model_info

    model_id, name = "robustbench-cifar10-Linf-Wong2020Fast", "Wong2020Fast"
    base = next(r for r in committed_results if r.protocol["name"] == "cifar10-autoattack")
    result = base.model_copy(update={"model": Zoo.load().get(model_id)})
    page = render_site([result])[f"models/{model_id}.html"].decode()
    info = model_info("cifar10", "Linf", name)
    assert "RobustBench's record" in page and info["venue"] in page and f"{name}.json" in page
    ours = result.value("autoattack_acc@8/255")
    assert (
        f"<td>autoattack_acc@8/255</td><td>{float(info['autoattack_acc']):.2f}</td>"
        f"<td>{cell(ours)} (n = {ours.n})</td>"
    ) in page


def _results_of(tmp_path: Path, results, model: str) -> Path:
    """A results folder holding the committed results of one model (their JSON files only)."""
    from bench.results import write_result

    folder = tmp_path / "results"
    for r in results:
        if r.model.id == model:
            write_result(folder, r)
    return folder


def test_cli_writes_the_site_reports_it_as_json_and_keeps_foreign_files(
    tmp_path, capsys, committed_results
):
    from bench.cli.main import main
    from bench.leaderboard.write import is_generated

    results = _results_of(tmp_path, committed_results, "cifar_smallgap_adv")
    out = tmp_path / "site"
    (out / "models").mkdir(parents=True)
    (out / "models" / "gone.html").write_text(HTML_MARK + "\nold page")
    assert main(["leaderboard", "--results", str(results), "--html", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "html" and report["removed"] == ["models/gone.html"]
    assert {
        "index.html",
        "cifar10-Linf.html",
        "static/site.js",
        "models/cifar_smallgap_adv.html",
    } <= set(report["written"])
    assert (
        all((out / rel).is_file() for rel in report["written"])
        and not (out / "models" / "gone.html").exists()
    )
    assert is_generated(
        out / next(r for r in report["written"] if r.endswith(".png"))
    )  # figures carry the mark
    (out / "index.html").write_text("<p>my own page</p>")
    assert main(["leaderboard", "--results", str(results), "--html", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "Refusing to overwrite" in err
        and "index.html" in err
        and (out / "index.html").read_text() == "<p>my own page</p>"
    )
    assert (
        main(["leaderboard", "--results", str(results), "--html", str(out), "--format", "csv"]) == 2
    )
    assert "leave out --format" in capsys.readouterr().err
    assert main(["leaderboard", "--results", str(results), "--html", str(out / "index.html")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_leaderboard_json_report_for_markdown_and_the_help_explains_the_formats(
    tmp_path, capsys, committed_results
):
    from bench.cli.main import main

    results = _results_of(tmp_path, committed_results[:1], committed_results[0].model.id)
    assert (
        main(["leaderboard", "--results", str(results), "--out", str(tmp_path / "md"), "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "md" and "README.md" in report["written"]
    assert main(["leaderboard", "--results", str(results), "--format", "csv", "--json"]) == 2
    assert "--out FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["leaderboard", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--html DIR" in text and "sortable" in text and "csv / json" in text


# ---------------------------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if tool.browser_paths() is None:
        reason = (
            "Chromium and chromedriver not found (Debian: apt-get install chromium chromium-driver)"
        )
        if os.environ.get("BENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with tool.chromium(tmp_path_factory.mktemp("profile")) as driver:
        yield driver


@pytest.fixture(scope="module")
def served(site):
    with tool.serve(site) as base:
        yield base


def _requests(driver) -> list[str]:
    """Every URL the browser requested since the last call (its DevTools network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


INTERNAL = (
    "data",
    "chrome",
    "about",
    "blob",
)  # served by the browser itself (its start page, data: URLs)


def _only_local(urls: list[str]) -> None:
    """Every request of the pages went to 127.0.0.1 (and some did: the log is not empty)."""
    outside = [
        u
        for u in urls
        if urlparse(u).scheme not in INTERNAL and urlparse(u).hostname != "127.0.0.1"
    ]
    assert any(urlparse(u).hostname == "127.0.0.1" for u in urls) and not outside, outside


def _column(driver, table: str, header: str) -> tuple[list[str], list[str]]:
    """(model ids in row order, the column's sort keys) of a table as the browser shows it."""
    return driver.execute_script(
        """
        const table = document.querySelector(`table[data-table="${arguments[0]}"]`);
        const index = Array.from(table.tHead.rows[0].cells).findIndex(h => h.textContent.trim() === arguments[1]);
        const rows = Array.from(table.tBodies[0].rows);
        return [rows.map(r => r.dataset.model), rows.map(r => r.cells[index].dataset.sort)];""",
        table,
        header,
    )


def _click(driver, table: str, header: str) -> None:
    driver.execute_script(
        """
        const table = document.querySelector(`table[data-table="${arguments[0]}"]`);
        Array.from(table.tHead.rows[0].cells).find(h => h.textContent.trim() === arguments[1])
             .querySelector("button").click();""",
        table,
        header,
    )


def _battery_key(driver, dataset: str) -> str:
    return driver.execute_script(
        f"return document.querySelector('table[data-dataset=\"{dataset}\"]').dataset.table"
    )


def test_page_loads_and_a_header_click_sorts_the_rows_numerically(browser, served):
    tool.open_page(browser, f"{served}/index.html")
    assert browser.title.startswith("Battery") and "cifar10-Linf" in browser.page_source
    key = _battery_key(browser, "cifar10")
    initial, _ = _column(browser, key, "AutoAttack (%) ↑")
    _click(browser, key, NOISE_I)  # lower is better: the first click sorts ascending
    models, keys = _column(browser, key, NOISE_I)
    numbers = [float(k) for k in keys if k != ""]
    assert numbers == sorted(numbers) and keys[len(numbers) :] == [""] * (len(keys) - len(numbers))
    assert models != initial and sorted(models) == sorted(initial)
    texts = browser.execute_script(
        f"return Array.from(document.querySelectorAll('table[data-table=\"{key}\"] tbody tr'))"
        ".map(r => r.cells[7].textContent)"
    )
    shown = [float(t.split()[0]) for t in texts if t[:1].isdigit()]
    assert shown == sorted(shown) and shown != sorted(
        shown, key=str
    )  # by number, not by the printed string
    _click(browser, key, NOISE_I)
    again = [float(k) for k in _column(browser, key, NOISE_I)[1] if k != ""]
    assert again == sorted(again, reverse=True)
    urls = _requests(browser)
    assert any(u.endswith("/static/site.js") for u in urls) and any(
        u.endswith("/static/site.css") for u in urls
    )
    _only_local(urls)


def test_the_filter_hides_the_rows_of_other_data_sets(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    tool.open_page(browser, f"{served}/index.html")
    Select(browser.find_element(By.ID, "filter-dataset")).select_by_value("mnist")
    mnist = browser.find_elements(By.CSS_SELECTOR, 'tbody tr[data-dataset="mnist"]')
    cifar = browser.find_elements(By.CSS_SELECTOR, 'tbody tr[data-dataset="cifar10"]')
    assert (
        mnist
        and cifar
        and all(r.is_displayed() for r in mnist)
        and not any(r.is_displayed() for r in cifar)
    )
    assert browser.find_element(By.ID, "filter-status").text == "1 of 2 boards shown"
    assert browser.current_url.endswith("#dataset=mnist")
    Select(browser.find_element(By.ID, "filter-dataset")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-threat")).select_by_value("Linf")
    assert browser.find_element(By.ID, "filter-status").text == "2 of 2 boards shown"
    assert all(r.is_displayed() for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")[:5])
    _only_local(_requests(browser))


def test_the_site_also_works_opened_from_disk(browser, site):
    from selenium.webdriver.common.by import By

    tool.open_page(browser, (site / "index.html").as_uri() + "#dataset=mnist")
    assert browser.find_element(By.ID, "filter-status").text == "1 of 2 boards shown"
    key = _battery_key(browser, "mnist")
    _click(browser, key, "Clean (%) ↑")
    clean = [float(k) for k in _column(browser, key, "Clean (%) ↑")[1] if k]
    assert clean == sorted(clean, reverse=True)
    urls = _requests(browser)
    assert any(u.endswith("/static/site.js") for u in urls)
    assert all(urlparse(u).scheme in ("file", *INTERNAL) for u in urls), urls


@pytest.mark.parametrize("model", FIGURE_MODELS)
def test_model_pages_show_every_figure(browser, served, site_files, model):
    tool.open_page(browser, f"{served}/models/{model}.html")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    expected = sorted(
        rel[len("models/") :] for rel in site_files if rel.startswith(f"models/{model}-")
    )
    assert len(expected) >= 3 and sorted(src for src, _, _ in images) == expected
    assert all(complete and width > 0 for _, complete, width in images), images
    intervals = browser.execute_script(
        "return Array.from(document.querySelectorAll('table[data-table^=\"results-\"] tbody tr'))"
        ".map(r => r.cells[3].textContent)"
    )
    assert (
        intervals and sum("[" in t for t in intervals) > len(intervals) / 2
    )  # values shown with their interval
    _only_local(_requests(browser))


def test_board_pages_load_with_every_protocol_table_and_no_console_errors(
    browser, served, site_files
):
    for board in ("cifar10-Linf", "mnist-Linf"):
        tool.open_page(browser, f"{served}/{board}.html")
        tables = browser.execute_script("return document.querySelectorAll('table.sortable').length")
        assert tables == site_files[f"{board}.html"].decode().count('<table class="sortable"') > 1
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert (
        errors == []
    )  # a blocked script or style (Content-Security-Policy) would be reported here
    _only_local(_requests(browser))


def test_committed_screenshot_is_what_the_browser_shows_for_the_committed_results(
    browser, site, tmp_path
):
    """The committed PNG was taken of the same page text (exact, SHA-256 of the rendered text stored in
    it), at the same window size (exact), and looks the same: fewer than 2% of pixels differ by more than
    a quarter of the range in any channel (room for font rasterisation differences between machines)."""
    from PIL import Image, ImageChops

    committed = SCREENSHOT.read_bytes()
    texts = tool.png_texts(committed)
    png, facts = tool.capture(site, tmp_path / "profile")
    assert texts["page"] == facts["page"] and texts["window"] == facts["window"]
    assert texts["text-sha256"] == facts["text-sha256"], (
        "the screenshot is stale: run docs/tools/screenshot_leaderboard.py"
    )
    ours, theirs = (
        Image.open(io.BytesIO(png)).convert("RGB"),
        Image.open(io.BytesIO(committed)).convert("RGB"),
    )
    assert ours.size == theirs.size == tuple(map(int, facts["window"].split("x")))
    red, green, blue = ImageChops.difference(ours, theirs).split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    share = largest.point(lambda v: 255 if v > 64 else 0).histogram()[255] / (
        ours.size[0] * ours.size[1]
    )
    assert share < 0.02, f"{100 * share:.1f}% of the pixels differ"
