"""Soft reboot after a nova-compute restart (OSSN-0022, bug 1316822).

Every scenario boots guests with a security group (tcp/22 from one CIDR)
through nova's own filtered path, restarts nova-compute the way its manager
does, and then soft-reboots. A second guest stays running, as on any busy
host: its re-ensured filter is the first iptables-restore of the new process,
which deletes every chain the process has not re-registered. Each test has
its control on stock nova showing the exposure.
"""

from __future__ import absolute_import

from nova.compute import power_state
from oslo_concurrency import processutils

from nova_sgfix import exception
from tests.functional import base

WAIT = 4


class StoppedGuestSoftRebootTest(base.FunctionalTestCase):
    """(a) A stopped guest started by a soft reboot."""

    def _stopped_across_restart(self, host):
        guest = host.boot(base.SSH_FROM_PEERS)
        host.boot(base.SSH_FROM_PEERS)
        host.stop(guest)
        host.restart_compute()
        return guest

    def test_soft_reboot_of_stopped_guest_starts_it_filtered_without_wait(
            self):
        host = self.sgfix_host(wait_soft_reboot_seconds=WAIT,
                               resync_on_start=False)
        guest = self._stopped_across_restart(host)
        self.assertFalse(host.is_filtered(guest))

        host.soft_reboot(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))
        self.assertEqual(
            ['-s %s -p tcp -m tcp --dport 22 -j ACCEPT' % base.ALLOWED_CIDR],
            host.accepted(guest))
        self.assertEqual([], host.soft_reboot_sleeps)

    def test_control_stock_soft_reboot_of_stopped_guest_waits_the_timeout(
            self):
        host = self.stock_host(wait_soft_reboot_seconds=WAIT)
        guest = self._stopped_across_restart(host)
        self.assertFalse(host.is_filtered(guest))

        host.soft_reboot(guest)

        # Rocky and Train wait for a shutdown that never comes, then fall
        # back to a hard reboot; Grizzly starts the guest unfiltered.
        self.assertEqual([1] * WAIT, host.soft_reboot_sleeps)


class PausedAcrossRestartTest(base.FunctionalTestCase):
    """(b) Paused across the restart, unpaused by stock code, soft reboot."""

    def _unpaused_by_stock_code(self, host):
        guest = host.boot(base.SSH_FROM_PEERS)
        host.boot(base.SSH_FROM_PEERS)
        host.pause(guest)
        host.restart_compute()
        stock = self.nova_host.stock_driver_class()
        stock.unpause(host.driver, guest.instance)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))
        return guest

    def test_soft_reboot_of_guest_unpaused_by_stock_code_restores_chain(self):
        host = self.sgfix_host(resync_on_start=False)
        guest = self._unpaused_by_stock_code(host)

        host.soft_reboot(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))
        self.assertEqual(1, len(host.accepted(guest)))

    def test_control_stock_soft_reboot_leaves_unpaused_guest_unfiltered(self):
        host = self.stock_host()
        guest = self._unpaused_by_stock_code(host)

        host.soft_reboot(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))


class ChangedRulesTest(base.FunctionalTestCase):
    """(c) Rules changed while the firewall driver knows the instance."""

    NEW_RULES = [('tcp', 2222, 2222, base.ALLOWED_CIDR)]

    def _rules_changed(self, host):
        guest = host.boot(base.SSH_FROM_PEERS)
        host.sg_rules.set(guest.instance.uuid, self.NEW_RULES)
        return guest

    def test_soft_reboot_puts_changed_rules_in_force_and_drops_old_ones(self):
        host = self.sgfix_host()
        guest = self._rules_changed(host)

        host.soft_reboot(guest)

        self.assertEqual(
            ['-s %s -p tcp -m tcp --dport 2222 -j ACCEPT' %
             base.ALLOWED_CIDR], host.accepted(guest))
        chain = host.kernel().rules['nova-compute-inst-%d' % guest.id]
        self.assertEqual('-j nova-compute-sg-fallback', chain[-1])
        self.assertEqual(len(chain), len(set(chain)), chain)

    def test_control_stock_soft_reboot_keeps_the_old_rules(self):
        host = self.stock_host()
        guest = self._rules_changed(host)

        host.soft_reboot(guest)

        self.assertEqual(
            ['-s %s -p tcp -m tcp --dport 22 -j ACCEPT' % base.ALLOWED_CIDR],
            host.accepted(guest))

    def test_guarded_soft_reboot_costs_one_iptables_restore(self):
        host = self.sgfix_host()
        guest = self._rules_changed(host)
        before = host.iptables.restores

        host.soft_reboot(guest)

        self.assertEqual(1, host.iptables.restores - before)


class IptablesFailureTest(base.FunctionalTestCase):
    """(d) iptables-restore fails: the guest is not started, nothing lost."""

    def _stopped_with_broken_iptables(self, host):
        guest = host.boot(base.SSH_FROM_PEERS)
        host.boot(base.SSH_FROM_PEERS)
        host.stop(guest)
        host.restart_compute()
        host.iptables.fail_restores = True
        return guest

    def test_stopped_guest_stays_down_and_keeps_its_domain(self):
        host = self.sgfix_host(wait_soft_reboot_seconds=WAIT)
        guest = self._stopped_with_broken_iptables(host)
        xml_before = host.domain(guest).XMLDesc(0)

        error = self.assertRaises(exception.FilterSetupFailed,
                                  host.soft_reboot, guest)

        self.assertIn(guest.instance.uuid, str(error))
        self.assertIn('iptables-restore', str(error))
        self.assertEqual(power_state.SHUTDOWN, host.power_state(guest))
        self.assertEqual(xml_before, host.domain(guest).XMLDesc(0))
        self.assertEqual([], host.soft_reboot_sleeps)

    def test_running_guest_is_not_rebooted_and_keeps_its_filter(self):
        host = self.sgfix_host()
        guest = host.boot(base.SSH_FROM_PEERS)
        host.restart_compute()
        host.iptables.fail_restores = True

        self.assertRaises(exception.FilterSetupFailed, host.soft_reboot,
                          guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))

    def test_filter_is_written_once_iptables_works_again(self):
        host = self.sgfix_host()
        guest = self._stopped_with_broken_iptables(host)
        self.assertRaises(exception.FilterSetupFailed, host.soft_reboot,
                          guest)
        host.iptables.fail_restores = False

        host.soft_reboot(guest)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))

    def test_control_stock_waits_then_loses_the_domain_definition(self):
        host = self.stock_host(wait_soft_reboot_seconds=WAIT)
        guest = self._stopped_with_broken_iptables(host)

        self.assertRaises(processutils.ProcessExecutionError,
                          host.soft_reboot, guest)

        self.assertEqual([1] * WAIT, host.soft_reboot_sleeps)
        self.assertRaises(self.nova_host.fakelibvirt.libvirtError,
                          host.domain, guest)


class SoftRebootCostTest(base.FunctionalTestCase):
    """The stopped guest's soft reboot stands in for a hard reboot."""

    def _restores(self, host, operation, guest):
        before = host.iptables.restores
        operation(guest)
        return host.iptables.restores - before

    def test_stopped_guest_soft_reboot_costs_no_more_than_a_hard_reboot(
            self):
        for resync in (True, False):
            host = self.sgfix_host(resync_on_start=resync)
            soft, hard, _running = [host.boot(base.SSH_FROM_PEERS)
                                    for _ in range(3)]
            host.stop(soft)
            host.stop(hard)
            host.restart_compute()

            soft_cost = self._restores(host, host.soft_reboot, soft)
            hard_cost = self._restores(host, host.hard_reboot, hard)

            self.assertLessEqual(soft_cost, hard_cost,
                                 'resync_on_start=%s' % resync)
            self.assertTrue(host.is_filtered(soft))
            self.assertTrue(host.is_filtered(hard))
