"""With NoopFirewallDriver (Neutron owns security groups) nothing changes."""

from __future__ import absolute_import

import fixtures
from nova.compute import power_state

from tests.functional import base

NOOP = 'nova.virt.firewall.NoopFirewallDriver'


class NoopFirewallTest(base.FunctionalTestCase):

    def test_guarded_paths_behave_like_stock_and_say_so_once_at_debug(self):
        logs = self.useFixture(fixtures.FakeLogger(name='nova_sgfix',
                                                   level='DEBUG'))
        host = self.sgfix_host(firewall_driver=NOOP,
                               wait_soft_reboot_seconds=2)
        guest = host.boot(base.SSH_FROM_PEERS)
        host.pause(guest)
        host.restart_compute()
        said = logs.output.count('keeps no iptables filters')
        host.unpause(guest)
        host.soft_reboot(guest)
        host.pause(guest)
        host.unpause(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertEqual(0, host.iptables.restores)
        # Once per nova-compute process: the test started two.
        self.assertEqual(2, said)
        self.assertEqual(said, logs.output.count('keeps no iptables filters'))
