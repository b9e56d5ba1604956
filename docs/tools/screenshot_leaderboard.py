"""Screenshot of the HTML leaderboard's CIFAR-10 battery table, for docs/img/leaderboard-cifar10.png.

    python docs/tools/screenshot_leaderboard.py [--results leaderboards/results] [--out docs/img/leaderboard-cifar10.png]

Renders the site from the result files (:func:`bench.leaderboard.html.render_site`) into a
temporary folder, serves it on 127.0.0.1, opens ``index.html#dataset=cifar10`` in Debian's
Chromium (headless, driven by selenium through ``/usr/bin/chromedriver``) at a fixed window
size and saves the viewport. The PNG carries, as text chunks, the page it shows, the window
size and the SHA-256 of the page's visible text, so ``tests/test_html_site.py`` can check
that the committed image is what the browser shows for the committed results.

The browser setup here is the one the test uses (the test imports this file).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import http.server
import shutil
import tempfile
import threading
import zlib
from pathlib import Path

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WINDOW = (1920, 1000)
PAGE = "index.html#dataset=cifar10"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
    "--font-render-hinting=none",
    # a request for anything but 127.0.0.1 fails here instead of leaving the machine
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)
ROOT = Path(__file__).resolve().parents[2]


def browser_paths() -> tuple[str, str] | None:
    """Chromium and chromedriver from Debian's packages, or None when either is missing."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).is_file() else None)
    driver = shutil.which("chromedriver") or (
        CHROMEDRIVER if Path(CHROMEDRIVER).is_file() else None
    )
    return (found, driver) if found and driver else None


@contextlib.contextmanager
def chromium(profile: Path, window: tuple[int, int] = WINDOW):
    """A headless Chromium with a fresh profile in ``profile``, a ``window``-sized viewport and its
    network log on (every request the pages make)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = browser_paths() or (CHROMIUM, CHROMEDRIVER)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:  # the viewport itself at exactly ``window`` (a window's size would include the browser's own bars)
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": window[0], "height": window[1], "deviceScaleFactor": 1, "mobile": False},
        )
        yield driver
    finally:
        driver.quit()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (an ephemeral port) from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_site(results_dir: Path, folder: Path) -> None:
    """The site of ``results_dir``'s results, without figures (the index page shows none)."""
    from bench.leaderboard.html import render_site
    from bench.protocols import shipped_headlines
    from bench.results import read_results

    for rel, data in render_site(read_results(results_dir), {}, shipped_headlines()).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def open_page(driver, url: str) -> None:
    """Load ``url`` and wait until the site's script has set up the tables and the filter."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.documentElement.dataset.ready")
    )


def visible_text_digest(driver) -> str:
    """SHA-256 of the page's rendered text (``innerText`` leaves out what the filter hides)."""
    return hashlib.sha256(
        driver.execute_script("return document.body.innerText").encode("utf-8")
    ).hexdigest()


def capture(site: Path, profile: Path) -> tuple[bytes, dict[str, str]]:
    """The screenshot of :data:`PAGE` of the site in ``site`` and the facts stored with it."""
    with serve(site) as base, chromium(profile) as driver:
        open_page(driver, f"{base}/{PAGE}")
        png, digest = driver.get_screenshot_as_png(), visible_text_digest(driver)
    return png, {"page": PAGE, "window": f"{WINDOW[0]}x{WINDOW[1]}", "text-sha256": digest}


def png_texts(png: bytes) -> dict[str, str]:
    """The ``bench-*`` tEXt chunks of a PNG written by :func:`with_text`, without the prefix."""
    texts, at = {}, 8
    while at + 8 <= len(png) and png[at + 4 : at + 8] != b"IEND":
        length = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == b"tEXt":
            key, _, value = png[at + 8 : at + 8 + length].partition(b"\0")
            if key.startswith(b"bench-"):
                texts[key[6:].decode("latin-1")] = value.decode("latin-1")
        at += 12 + length
    return texts


def with_text(png: bytes, texts: dict[str, str]) -> bytes:
    """``png`` with one tEXt chunk per entry, right after its IHDR chunk."""
    ihdr_end = 8 + 8 + int.from_bytes(png[8:12], "big") + 4
    chunks = b""
    for key, value in texts.items():
        data = f"bench-{key}".encode("latin-1") + b"\0" + value.encode("latin-1")
        chunks += (
            len(data).to_bytes(4, "big")
            + b"tEXt"
            + data
            + zlib.crc32(b"tEXt" + data).to_bytes(4, "big")
        )
    return png[:ihdr_end] + chunks + png[ihdr_end:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "leaderboards" / "results")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "img" / "leaderboard-cifar10.png"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "site").mkdir()
        write_site(args.results, Path(work) / "site")
        png, texts = capture(Path(work) / "site", Path(work) / "profile")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(with_text(png, texts))
    print(f"Wrote {args.out} ({texts['window']}, text {texts['text-sha256'][:12]}).")


if __name__ == "__main__":
    main()
