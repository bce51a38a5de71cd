"""IPv6: nova-network's ip6tables chains get the same protection.

With ``use_ipv6`` nova's IptablesManager also writes ip6tables, and the
firewall driver gives every instance a chain in the IPv6 filter table with a
``-d <address>/128`` jump in ``nova-compute-local``. A restart drops those
chains exactly as it drops the IPv4 ones (OSSN-0022, bug 1316822), and
nova's substring chain removal reaches them too. Every guest here has a
fixed address on 192.0.2.0/24 and one on 2001:db8::/64; each nova-sgfix case
has its control on stock nova.
"""

from __future__ import absolute_import

from nova.compute import power_state

from tests.functional import base
from tests.functional.harness import kernel_rules

WAIT = 4
ALLOWED_CIDR6 = '2001:db8:100::/64'
SSH_FROM_PEERS6 = ('tcp', 22, 22, ALLOWED_CIDR6)
SSH_RULE6 = '-s %s -p tcp -m tcp --dport 22 -j ACCEPT' % ALLOWED_CIDR6
SSH_RULE4 = '-s %s -p tcp -m tcp --dport 22 -j ACCEPT' % base.ALLOWED_CIDR


class Ipv6TestCase(base.FunctionalTestCase):

    def dual_stack_host(self, driver, **kwargs):
        return self.make_host(driver, use_ipv6=True, **kwargs)

    def restarted(self, host, prepare):
        """A subject guest prepared by ``prepare``, then a restart.

        A second guest stays running: its re-ensured filter is the restart's
        first restore of both tables, which drops the subject's chains.
        """
        guest = host.boot(base.SSH_FROM_PEERS)
        host.boot(base.SSH_FROM_PEERS)
        prepare(guest)
        host.restart_compute()
        return guest

    def assertUnfilteredInBothFamilies(self, host, guest):
        self.assertFalse(host.is_filtered(guest))
        self.assertFalse(host.is_filtered6(guest))

    def assertFilteredInBothFamilies(self, host, guest):
        self.assertTrue(host.is_filtered(guest))
        self.assertTrue(host.is_filtered6(guest))


class PausedAcrossRestartTest(Ipv6TestCase):
    """(a) Paused across the restart, then unpaused."""

    def test_unpause_after_restart_restores_ipv4_and_ipv6_jumps(self):
        host = self.dual_stack_host('sgfix', resync_on_start=False)
        guest = self.restarted(host, host.pause)
        self.assertUnfilteredInBothFamilies(host, guest)

        host.unpause(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFilteredInBothFamilies(host, guest)
        self.assertEqual([SSH_RULE4], host.accepted(guest))

    def test_control_stock_unpause_after_restart_lacks_both_jumps(self):
        host = self.dual_stack_host('stock')
        guest = self.restarted(host, host.pause)
        self.assertUnfilteredInBothFamilies(host, guest)

        host.unpause(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertUnfilteredInBothFamilies(host, guest)

    def test_restart_resync_restores_ipv6_chain_of_paused_guest(self):
        host = self.dual_stack_host('sgfix')
        guest = self.restarted(host, host.pause)

        self.assertEqual(power_state.PAUSED, host.power_state(guest))
        self.assertFilteredInBothFamilies(host, guest)


class StoppedGuestSoftRebootTest(Ipv6TestCase):
    """(b) A stopped guest started by a soft reboot after the restart."""

    def test_soft_reboot_of_stopped_guest_filters_ipv4_and_ipv6(self):
        host = self.dual_stack_host('sgfix', resync_on_start=False,
                                    wait_soft_reboot_seconds=WAIT)
        guest = self.restarted(host, host.stop)
        self.assertUnfilteredInBothFamilies(host, guest)

        host.soft_reboot(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFilteredInBothFamilies(host, guest)
        self.assertEqual([], host.soft_reboot_sleeps)

    def test_control_stock_soft_reboot_of_stopped_guest_waits_unfiltered(
            self):
        host = self.dual_stack_host('stock', wait_soft_reboot_seconds=WAIT)
        guest = self.restarted(host, host.stop)
        self.assertUnfilteredInBothFamilies(host, guest)

        host.soft_reboot(guest)

        # Rocky and Train wait for a shutdown that never comes, then fall
        # back to a hard reboot; Grizzly starts the guest unfiltered.
        self.assertEqual([1] * WAIT, host.soft_reboot_sleeps)


class ChangedIpv6RulesTest(Ipv6TestCase):
    """(c) An IPv6 rule added to the group of a running guest."""

    def _ipv6_rule_added_after_restart(self, host):
        guest = host.boot(base.SSH_FROM_PEERS)
        host.restart_compute()
        host.sg_rules.set(guest.instance.uuid,
                          base.SSH_FROM_PEERS + [SSH_FROM_PEERS6])
        return guest

    def _v6_chain(self, host, guest):
        return host.kernel6().rules[kernel_rules.instance_chain(guest.id)]

    def test_soft_reboot_puts_ipv6_rule_in_the_ipv6_chain(self):
        host = self.dual_stack_host('sgfix')
        guest = self._ipv6_rule_added_after_restart(host)

        host.soft_reboot(guest)

        self.assertFilteredInBothFamilies(host, guest)
        self.assertEqual([SSH_RULE6], kernel_rules.security_group_accepts(
            host.kernel6(), guest.id))
        self.assertEqual([SSH_RULE4], host.accepted(guest))
        chain = self._v6_chain(host, guest)
        self.assertEqual('-j nova-compute-sg-fallback', chain[-1])
        self.assertEqual(len(chain), len(set(chain)), chain)

    def test_control_stock_soft_reboot_leaves_ipv6_rule_out(self):
        host = self.dual_stack_host('stock')
        guest = self._ipv6_rule_added_after_restart(host)

        host.soft_reboot(guest)

        self.assertFilteredInBothFamilies(host, guest)
        self.assertEqual([], kernel_rules.security_group_accepts(
            host.kernel6(), guest.id))


class Ipv6ChainPrefixTest(Ipv6TestCase):
    """(d) Deleting instance 1 must not drop instance 11's IPv6 jump."""

    def _eleven_guests_then_restart(self, host):
        guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(11)]
        host.restart_compute()
        return guests

    def test_deleting_instance_1_keeps_ipv6_jump_of_instance_11(self):
        host = self.dual_stack_host('sgfix')
        guests = self._eleven_guests_then_restart(host)

        host.delete(guests[0])

        self.assertNotIn('nova-compute-inst-1', host.kernel6().chains)
        self.assertNotIn('nova-compute-inst-1', host.kernel().chains)
        for guest in guests[1:]:
            self.assertTrue(host.is_filtered6(guest), guest.id)
            self.assertTrue(host.is_filtered(guest), guest.id)

    def test_control_stock_deleting_instance_1_drops_ipv6_jump_of_11(self):
        host = self.dual_stack_host('stock')
        guests = self._eleven_guests_then_restart(host)

        host.delete(guests[0])

        self.assertTrue(host.is_filtered6(guests[1]))
        self.assertFalse(host.is_filtered6(guests[10]))
        self.assertFalse(host.is_filtered(guests[10]))
