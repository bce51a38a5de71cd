"""nova-sgfix-audit judges the rules real nova wrote after a real scenario.

The ruleset is the namespace's ``iptables-save`` after nova's own
IptablesManager ran the scenario; the nwfilters are the ones nova's
NWFilterFirewall defined; the guests come from libvirt's test driver (a real
libvirt through the real binding) holding the scenario's domains.
"""

from __future__ import absolute_import

import os

import fixtures

from tests.functional import base
from tests.unit.audit import nova_shapes
from tests.unit.audit import runner

PAUSED = 3


class AuditOnRealRulesTest(base.FunctionalTestCase):

    def setUp(self):
        super(AuditOnRealRulesTest, self).setUp()
        try:
            import libvirt  # noqa
        except ImportError:
            self.skipTest('the libvirt binding is not installed')

    def _scenario(self, host):
        """A guest paused across a restart, then unpaused."""
        guest = host.boot(base.SSH_FROM_PEERS)
        other = host.boot(base.SSH_FROM_PEERS)
        host.pause(guest)
        host.restart_compute()
        host.unpause(guest)
        return guest, other

    def _audit(self, host, guests, paused=()):
        tmp = self.useFixture(fixtures.TempDir()).path
        nwfilters = os.path.join(tmp, 'nwfilter')
        os.mkdir(nwfilters)
        for name, nwfilter in host.hypervisor._nwfilters.items():
            with open(os.path.join(nwfilters, name + '.xml'), 'w') as out:
                out.write(nwfilter._xml)
        domains = [nova_shapes.domain_xml(
            g.name, g.instance.uuid, [g.mac],
            runstate=PAUSED if g in paused else None) for g in guests]
        with open(os.path.join(tmp, 'node.xml'), 'w') as out:
            out.write(nova_shapes.node_xml(domains))
        with open(os.path.join(tmp, 'rules'), 'w') as out:
            out.write(host.iptables.save())
        return runner.run_cli([
            '--connect', 'test://' + os.path.join(tmp, 'node.xml'),
            '--nwfilter-dir', nwfilters,
            '--iptables-save', os.path.join(tmp, 'rules')])

    def test_nova_sgfix_host_audits_ok(self):
        host = self.sgfix_host()
        guests = self._scenario(host)
        code, out, _err = self._audit(host, guests)
        self.assertEqual(0, code, out)
        self.assertTrue(out.startswith('OK'), out)

    def test_control_stock_host_audits_critical_naming_the_exposed_guest(
            self):
        host = self.stock_host()
        guest, other = self._scenario(host)
        code, out, _err = self._audit(host, (guest, other))
        self.assertEqual(2, code, out)
        first = out.splitlines()[0]
        self.assertTrue(first.startswith('CRITICAL'), out)
        self.assertIn(guest.name, first)
        self.assertIn(guest.ip, first)
        self.assertNotIn(other.name, first)

    def test_stock_host_with_guest_still_paused_audits_warning(self):
        host = self.stock_host()
        guest = host.boot(base.SSH_FROM_PEERS)
        other = host.boot(base.SSH_FROM_PEERS)
        host.pause(guest)
        host.restart_compute()
        code, out, _err = self._audit(host, (guest, other), paused=(guest,))
        self.assertEqual(1, code, out)
        self.assertTrue(out.startswith('WARNING'), out)
