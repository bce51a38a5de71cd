"""Run the audit command in-process and capture what it prints."""

from __future__ import absolute_import
from __future__ import print_function

import os
import sys

from nova_sgfix.audit import cli

try:
    from StringIO import StringIO
except ImportError:
    from io import StringIO

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')


def data(name):
    return os.path.join(DATA, name)


def run_cli(argv):
    """Return ``(exit code, stdout, stderr)`` of ``nova-sgfix-audit argv``.

    Usage errors leave through SystemExit, as they do from the console
    script; their code is returned like any other.
    """
    out, err = StringIO(), StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()
