"""SIGTERM and Ctrl-C as exceptions while test namespaces are up.

SIGTERM's default action ends the process at once and skips every
``finally``, so a test run killed by a CI timeout would leave namespaces and
listeners behind. While installed, both signals raise instead; during
clean-up they are held back and re-delivered to the previous handlers once
those are restored.
"""

from __future__ import absolute_import

import logging
import os
import signal

LOG = logging.getLogger(__name__)


class Terminated(SystemExit):
    """SIGTERM arrived while test resources were up."""


class RaiseOnSignals(object):
    """Install, defer and restore handlers for SIGTERM and SIGINT."""

    signals = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self._previous = {}
        self._pending = []
        self._deferring = False

    def install(self):
        """Only the main thread may set handlers; elsewhere keep them."""
        try:
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:
            LOG.debug('not the main thread: signal handlers left as they are')

    def defer(self):
        self._deferring = True

    def _handle(self, signum, _frame):
        if self._deferring:
            self._pending.append(signum)
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt()
        raise Terminated(128 + signum)

    def restore(self):
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None
                          else handler)
        self._previous = {}
        self._deferring = False
        pending, self._pending = self._pending, []
        for signum in pending:
            os.kill(os.getpid(), signum)
