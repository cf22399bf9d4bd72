"""``python -m rnnkit``: the ``rnnkit`` command (:func:`rnnkit.cli.main`)."""

from rnnkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
