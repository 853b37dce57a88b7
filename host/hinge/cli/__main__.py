"""``python -m hinge.cli``: the same as the ``hinge`` command."""
import sys

from .cli import main

sys.exit(main())
