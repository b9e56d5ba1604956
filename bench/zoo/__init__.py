"""The model zoo: what a model is (schema, sources, families) and how it loads (loaders, architectures)."""
