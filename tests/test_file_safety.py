"""bench writes only what it generated, where it may, with the user's umask; it reads only inside its roots."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
import torch

from bench import assets
from bench.atomic import write_bytes_atomic, write_text_atomic
from bench.cli.main import main
from bench.errors import MissingFileError, SpecError, UnsafeCheckpointError
from bench.leaderboard.write import is_generated, marked_png
from bench.zoo.checkpoint import safe_torch_load

USER_README = "# My project\n\nMy own notes, next to my results.\n"
ENTRY = """\
id: my_net
dataset: cifar10
num_classes: 10
training: {method: pgd_at, threat_model: Linf, eps: 2/255}
architecture: {name: cnn_a}
source: {loader: user_checkpoint, path: /nonexistent.pt}
preprocessing: {input_size: [3, 32, 32]}
"""


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A user's folder: their README.md beside an (empty) results folder."""
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    (tmp_path / "mine" / "results").mkdir(parents=True)
    (tmp_path / "mine" / "README.md").write_text(USER_README)
    return tmp_path / "mine"


def test_leaderboard_leaves_a_users_readme_untouched(project, capsys):
    code = main(["leaderboard", "--results", str(project / "results")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "Refusing to overwrite" in err and str(project / "README.md") in err
    assert (project / "README.md").read_text() == USER_README
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "results"]


def test_submit_leaves_a_users_readme_untouched_before_evaluating(project, tmp_path, capsys):
    entry = tmp_path / "entry.yaml"
    entry.write_text(ENTRY)
    code = main(["submit", str(entry), "--results", str(project / "results"), "--no-progress"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "Refusing to overwrite" in err
    assert (project / "README.md").read_text() == USER_README
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "results"]
    assert list((project / "results").iterdir()) == []


def test_generated_pages_are_rewritten_and_other_files_kept(project, capsys):
    (project / "README.md").unlink()
    (project / "NOTES.md").write_text("mine, no mark\n")
    assert main(["leaderboard", "--results", str(project / "results")]) == 0
    assert is_generated(project / "README.md")
    assert (
        main(["leaderboard", "--results", str(project / "results")]) == 0
    )  # its own page: replaced
    assert (project / "NOTES.md").read_text() == "mine, no mark\n"  # not generated: never removed


def _png(texts: list[tuple[bytes, bytes]] = ()) -> bytes:
    """A minimal well-formed 1×1 PNG with the given tEXt chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    ihdr = chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0]))
    text = b"".join(chunk(b"tEXt", k + b"\0" + v) for k, v in texts)
    return (
        b"\x89PNG\r\n\x1a\n"
        + ihdr
        + text
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def test_png_figures_carry_the_mark_and_user_pngs_are_not_bench_s(tmp_path):
    (tmp_path / "models").mkdir()
    ours, theirs, legacy = (
        tmp_path / "ours.png",
        tmp_path / "models" / "theirs.png",
        tmp_path / "models" / "old.png",
    )
    ours.write_bytes(marked_png(_png()))
    theirs.write_bytes(_png([(b"Software", b"GIMP")]))
    legacy.write_bytes(_png())
    assert is_generated(ours) and not is_generated(theirs) and is_generated(legacy)
    assert not is_generated(tmp_path / "plain.png") and not is_generated(tmp_path)
    link = tmp_path / "link.md"
    link.symlink_to(ours)
    assert not is_generated(link)


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_atomic_writes_respect_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        text = write_text_atomic(tmp_path / "a" / "page.md", "x")
        data = write_bytes_atomic(tmp_path / "b.png", b"y")
    finally:
        os.umask(old)
    for path in (text, data):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "a",
        "b.png",
        "page.md",
    ]  # no temporary left


# --- reading inside the roots ---------------------------------------------------------------------


@pytest.fixture
def assets_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "assets"
    (root / "models").mkdir(parents=True)
    (root / "models" / "net.pt").write_bytes(b"weights")
    (tmp_path / "secret.pt").write_bytes(b"outside")
    monkeypatch.setattr(assets, "_override", None)
    assets.set_assets_dir(root)
    return root


@pytest.mark.parametrize(
    "relative", ["../secret.pt", "models/../../secret.pt", "/etc/passwd", "", "models/\0x"]
)
def test_shared_assets_never_leave_the_assets_folder(assets_root, relative):
    with pytest.raises(SpecError, match="relative|outside"):
        assets.asset_path(relative)


def test_a_link_out_of_the_assets_folder_is_refused(assets_root):
    (assets_root / "models" / "link.pt").symlink_to(assets_root.parent / "secret.pt")
    with pytest.raises(SpecError, match="outside"):
        assets.asset_path("models/link.pt")
    assert assets.asset_path("models/net.pt").read_bytes() == b"weights"


def test_an_entry_cannot_name_an_asset_outside_the_folder(tmp_path, capsys):
    entry = tmp_path / "e.yaml"
    entry.write_text(
        ENTRY.replace(
            "{loader: user_checkpoint, path: /nonexistent.pt}",
            "{loader: shared_asset, asset: ../../etc/passwd}",
        )
    )
    assert main(["validate", str(entry)]) == 2
    assert "relative path inside its folder" in capsys.readouterr().err


# --- corrupt checkpoints are not "unsafe" ----------------------------------------------------------


def _corrupt_files(folder: Path) -> dict[str, Path]:
    good = folder / "good.pt"
    torch.save({"w": torch.zeros(3)}, good)
    data = good.read_bytes()
    cases = {
        "truncated_zip": data[: len(data) // 2],
        "empty": b"",
        "text": b"just some text\n",
        "truncated_pickle": b"\x80\x02}q\x00(X\x01",
        "garbage": bytes(range(256)) * 8,
    }
    paths = {}
    for name, content in cases.items():
        paths[name] = folder / f"{name}.pt"
        paths[name].write_bytes(content)
    return paths


def test_corrupt_checkpoints_are_corrupt_not_unsafe(tmp_path):
    for name, path in _corrupt_files(tmp_path).items():
        with pytest.raises(SpecError) as info:
            safe_torch_load(path)
        message = str(info.value)
        assert not isinstance(info.value, UnsafeCheckpointError), name
        assert (
            "corrupt" in message
            and "weights_only=False" not in message
            and "weights_only` set to" not in message
        )


def test_unsafe_message_never_advises_turning_weights_only_off(tmp_path):
    class Runs:
        def __reduce__(self):
            return (os.system, ("true",))

    path = tmp_path / "evil.pt"
    torch.save({"x": Runs()}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_torch_load(path)
    message = str(info.value)
    assert "posix.system" in message or "os.system" in message
    assert (
        "weights_only=False" not in message
        and "set to `False`" not in message
        and "trusted source" not in message
    )


@pytest.mark.parametrize("kind", ["folder", "fifo", "missing"])
def test_a_checkpoint_path_that_is_not_a_file_says_what_it_is(tmp_path, kind):
    path = tmp_path / "ckpt.pt"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(
        MissingFileError if kind == "missing" else SpecError,
        match="No such" if kind == "missing" else "not a regular file",
    ):
        safe_torch_load(path)


# --- data sets without network -----------------------------------------------------------------------


def test_cifar10_without_network_is_a_clear_error(tmp_path, monkeypatch, no_network):
    """torchvision's CIFAR-10 download raises URLError (an OSError) when offline; bench wraps it like MNIST's."""
    from bench.data.testsets import _torchvision

    monkeypatch.delenv("BENCH_OFFLINE", raising=False)
    with pytest.raises(MissingFileError, match="cifar10 test set not found"):
        _torchvision("cifar10", tmp_path / "data")
    assert no_network  # it did try the network, and was refused by the guard
    no_network.clear()
