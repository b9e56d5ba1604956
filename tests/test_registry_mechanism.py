import pytest

from bench.errors import UnknownNameError
from bench.registry import Registry


def test_duplicate_names_raise():
    reg = Registry("thing")
    reg.register("a")(1)
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("a")(2)


def test_unknown_name_suggests_close_ones():
    reg = Registry("thing")
    for name in ("clean_accuracy", "autoattack"):
        reg.register(name)(name)
    with pytest.raises(UnknownNameError, match="Did you mean 'clean_accuracy'"):
        reg.get("clean_acuracy")
    assert reg.get("autoattack") == "autoattack"
    assert reg.names() == ["autoattack", "clean_accuracy"]
