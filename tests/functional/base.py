"""Base class of the functional tests: real nova, real kernel tables.

Each test gets its own network namespace (deleted on any exit) and a
``NovaComputeHost`` whose iptables live in it. ``stock_host`` and
``sgfix_host`` build the same host on nova's own driver and on nova-sgfix's,
so every security test can run its scenario as a control on stock nova.
"""

from __future__ import absolute_import

import os

import fixtures
import testtools

from tests.functional.harness import compute_host
from tests.functional.harness import netns

ALLOWED_CIDR = compute_host.ALLOWED_CIDR
SSH_FROM_PEERS = list(compute_host.SSH_FROM_PEERS)


def which(tool):
    for directory in os.environ.get('PATH', '').split(os.pathsep) + [
            '/usr/sbin', '/sbin']:
        path = os.path.join(directory, tool)
        if os.access(path, os.X_OK):
            return path
    return None


def missing_prerequisite():
    """Why this machine cannot run the functional tests, or None."""
    if os.geteuid() != 0:
        return 'needs root to create network namespaces'
    for tool in ('ip', 'iptables-save', 'iptables-restore'):
        if not which(tool):
            return '%s is not installed' % tool
    try:
        import nova.virt.firewall  # noqa
    except ImportError:
        return 'this nova has no nova-network firewall driver'
    return None


class NamespaceFixture(fixtures.Fixture):
    """A network namespace for one test."""

    def __init__(self, label):
        super(NamespaceFixture, self).__init__()
        self.label = label

    def _setUp(self):
        netns.reap_orphans()
        self.name = netns.create(self.label)
        self.addCleanup(netns.delete, self.name)


class FunctionalTestCase(testtools.TestCase):

    def setUp(self):
        super(FunctionalTestCase, self).setUp()
        reason = missing_prerequisite()
        if reason:
            self.skipTest(reason)
        from tests.functional.harness import nova_host
        self.nova_host = nova_host

    def make_host(self, driver='sgfix', **kwargs):
        namespace = self.useFixture(NamespaceFixture('host')).name
        driver_class = (self.nova_host.sgfix_driver_class
                        if driver == 'sgfix'
                        else self.nova_host.stock_driver_class)
        return self.useFixture(self.nova_host.NovaComputeHost(
            namespace, driver_class, **kwargs))

    def stock_host(self, **kwargs):
        return self.make_host('stock', **kwargs)

    def sgfix_host(self, **kwargs):
        return self.make_host('sgfix', **kwargs)
