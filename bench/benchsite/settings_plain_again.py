"""Variant (c′): the no-tenancy baseline again, in a server of its own.

Identical to (c): its ratio to (c) is what the benchmark measures between two servers that do exactly the same work,
the resolution of the run on this machine.
"""

from benchsite.settings_plain import *  # noqa: F403
