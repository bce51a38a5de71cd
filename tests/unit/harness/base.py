"""Shared checks for the harness tests, which need real namespaces."""

from __future__ import absolute_import

import os

import testtools

from tests.functional.harness import netns
from tests.functional.harness import process


def namespace_skip_reason():
    """Why namespace tests cannot run here, or None."""
    if os.geteuid() != 0:
        return 'needs root to create network namespaces'
    if not process.which('ip'):
        return 'needs the ip command (iproute2) for ip netns'
    return None


def processes_with(text):
    """Pids whose command line contains text (e.g. a topology's token)."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as cmdline:
                argv = cmdline.read().decode('utf-8', 'replace')
            with open('/proc/%s/stat' % entry) as stat:
                state = stat.read().rsplit(')', 1)[1].split()[0]
        except (IOError, OSError, IndexError):
            continue
        if text in argv and state != 'Z':
            pids.append(int(entry))
    return pids


class NamespaceTestCase(testtools.TestCase):
    """Skips without root or ip; deletes any namespace a test left."""

    def setUp(self):
        super(NamespaceTestCase, self).setUp()
        reason = namespace_skip_reason()
        if reason:
            self.skipTest(reason)
        self._before = set(netns.list_namespaces())
        self.addCleanup(self._delete_leftovers)

    def _delete_leftovers(self):
        mine = '%s%d-' % (netns.PREFIX, os.getpid())
        for name in set(netns.list_namespaces()) - self._before:
            if name.startswith(mine):
                netns.delete(name)

    def assertTopologyGone(self, topo):
        self.assertEqual(
            [], sorted(set(topo.namespace_names) &
                       set(netns.list_namespaces())))
        self.assertEqual([], processes_with(topo.token))
