"""``python -m meddx``: the ``meddx`` command, for launchers that start a module rather than a
script (``torchrun --nproc-per-node 2 -m meddx train ...``; docs/training.md)."""

from meddx.cli.main import main

if __name__ == "__main__":
    main()
