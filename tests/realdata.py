"""The loaders of the third-party recordings live in ``hinge.realdata`` (the bench uses them too)."""
from hinge.realdata import *  # noqa: F403
