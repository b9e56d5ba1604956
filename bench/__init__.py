"""bench: a robustness benchmark harness for image classifiers.

Measures clean and robust accuracy (AutoAttack, PGD) and how a model decides
(attribution inequality, interpretation robustness) for models of a YAML
registry, and publishes the results as generated leaderboards.
"""

__version__ = "0.1.0"
