from bench.zoo.architectures.registry import ARCHITECTURES  # noqa: F401  (filled by a helper)
