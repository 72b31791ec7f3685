"""The flags of ``meddx train`` whose config field has another name; every other flag ``--x-y`` sets
the field ``x_y``. One table for the CLI (which maps the flags a user gave to fields) and the config
reader (which names the field when a YAML key is spelt as the flag, ``patience: 2``). No imports:
``cli.train`` reads it at start-up."""

FIELD_OF_FLAG = {"patience": "early_stopping_patience", "ema": "ema_epochs", "threads": "num_threads",
                 "labels": "label_names", "categorical": "categorical_columns"}
