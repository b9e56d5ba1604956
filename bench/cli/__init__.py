"""The ``bench`` command line: one module per sub-command (parse → validate → call the library)."""
