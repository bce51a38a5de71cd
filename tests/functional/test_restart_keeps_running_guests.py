"""A running guest filtered before a restart stays filtered through it.

nova leaves running guests out of its start-up loop in real cases (deleted
in the database while nova-compute was down, in ERROR, a loop that ends in
an exception), registrations fail, and the kernel's rules may not be
readable. In each case the kernel already holds the guest's chain; nova-sgfix
must not be what removes it. Every test has its stock control.
"""

from __future__ import absolute_import

import fixtures
from nova.compute import power_state

from nova_sgfix import exception
from tests.functional import base


def running_pair(host):
    return [host.boot(base.SSH_FROM_PEERS) for _ in range(2)]


class LeftOutOfTheInstanceLoopTest(base.FunctionalTestCase):

    def _deleted_while_down(self, host):
        kept, deleted = running_pair(host)
        host.delete_while_down(deleted, domain_keeps_running=True)
        host.restart_compute()
        return kept, deleted

    def test_guest_deleted_while_down_keeps_its_chain_while_it_runs(self):
        logs = self.useFixture(fixtures.FakeLogger(name='nova_sgfix'))
        host = self.sgfix_host()
        kept, deleted = self._deleted_while_down(host)

        self.assertEqual(power_state.RUNNING, host.power_state(deleted))
        self.assertTrue(host.is_filtered(deleted))
        self.assertTrue(host.is_filtered(kept))
        self.assertIn('Kept the security group chain of instance %d'
                      % deleted.id, logs.output)
        self.assertIn(deleted.name, logs.output)
        self.assertIn(deleted.ip, logs.output)

    def test_control_stock_drops_the_chain_of_a_guest_deleted_while_down(
            self):
        host = self.stock_host()
        kept, deleted = self._deleted_while_down(host)

        self.assertEqual(power_state.RUNNING, host.power_state(deleted))
        self.assertFalse(host.is_filtered(deleted))
        self.assertTrue(host.is_filtered(kept))

    def test_kept_chain_goes_once_its_domain_is_destroyed(self):
        host = self.sgfix_host()
        _kept, deleted = self._deleted_while_down(host)
        host.destroy_domain(deleted)

        host.driver.get_available_resource(self.nova_host.NODENAME)

        self.assertNotIn('nova-compute-inst-%d' % deleted.id,
                         host.kernel().chains)

    def test_kept_chain_survives_the_next_restart_while_the_guest_runs(self):
        host = self.sgfix_host()
        _kept, deleted = self._deleted_while_down(host)

        host.restart_compute()

        self.assertTrue(host.is_filtered(deleted))

    def _error_instance(self, host):
        guest, other = running_pair(host)
        host.set_vm_state(guest, 'error')
        host.restart_compute()
        return guest, other

    def test_running_instance_in_error_keeps_its_chain(self):
        host = self.sgfix_host()
        guest, other = self._error_instance(host)

        self.assertTrue(host.is_filtered(guest))
        self.assertTrue(host.is_filtered(other))

    def test_control_stock_drops_the_chain_of_an_instance_in_error(self):
        host = self.stock_host()
        guest, _other = self._error_instance(host)

        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))

    def test_kept_chain_is_replaced_when_the_instance_is_claimed(self):
        host = self.sgfix_host()
        guest, _other = self._error_instance(host)

        host.hard_reboot(guest)

        self.assertTrue(host.is_filtered(guest))
        kernel = host.kernel()
        for chain, rules in kernel.rules.items():
            self.assertEqual(len(rules), len(set(rules)), chain)


class StartupEndingEarlyTest(base.FunctionalTestCase):
    """An exception out of the instance loop after the first instance."""

    def _aborted(self, host):
        guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(4)]
        host.stop(guests[1])
        self.assertRaises(self.nova_host.InitAborted, host.restart_compute,
                          abort_after=1)
        return [g for g in guests if g is not guests[1]]

    def _assert_running_filtered(self, host, running):
        for guest in running:
            self.assertEqual(power_state.RUNNING, host.power_state(guest))
            self.assertTrue(host.is_filtered(guest), guest.id)

    def test_aborted_startup_with_deferred_apply_keeps_running_chains(self):
        host = self.sgfix_host(defer_iptables_apply=True)
        running = self._aborted(host)
        self._assert_running_filtered(host, running)

    def test_aborted_startup_without_deferred_apply_keeps_running_chains(
            self):
        host = self.sgfix_host(defer_iptables_apply=False)
        running = self._aborted(host)
        self._assert_running_filtered(host, running)

    def test_control_stock_aborted_startup_drops_unreached_running_chains(
            self):
        for defer in (True, False):
            host = self.stock_host(defer_iptables_apply=defer)
            running = self._aborted(host)
            self.assertTrue(host.is_filtered(running[0]))
            self.assertEqual([False, False],
                             [host.is_filtered(g) for g in running[1:]],
                             'defer_iptables_apply=%s' % defer)

    def test_next_complete_startup_filters_every_guest(self):
        host = self.sgfix_host(defer_iptables_apply=True)
        running = self._aborted(host)
        host.restart_compute()
        self._assert_running_filtered(host, running)


class FailedRegistrationTest(base.FunctionalTestCase):

    def _empty_info_cache(self, host):
        broken, other = running_pair(host)
        host.empty_info_cache(broken)
        host.restart_compute()
        return broken, other

    def test_running_guest_with_empty_info_cache_keeps_previous_chain(self):
        logs = self.useFixture(fixtures.FakeLogger(name='nova_sgfix'))
        host = self.sgfix_host()
        broken, other = self._empty_info_cache(host)

        self.assertTrue(host.is_filtered(broken))
        self.assertTrue(host.is_filtered(other))
        self.assertIn('could not register instance %d' % broken.id,
                      logs.output)
        self.assertIn('previous security group rules stay in force',
                      logs.output)

    def test_control_stock_empty_info_cache_drops_the_running_guests_chain(
            self):
        host = self.stock_host()
        broken, other = self._empty_info_cache(host)

        self.assertEqual(power_state.RUNNING, host.power_state(broken))
        self.assertFalse(host.is_filtered(broken))
        self.assertTrue(host.is_filtered(other))

    def _nwfilter_failing_for(self, host, guest):
        from nova.virt.libvirt import firewall as libvirt_firewall
        real = libvirt_firewall.NWFilterFirewall.setup_basic_filtering

        def setup_basic_filtering(nwfilter, instance, network_info):
            if instance.uuid == guest.instance.uuid:
                raise RuntimeError('virNWFilterDefineXML failed (injected)')
            return real(nwfilter, instance, network_info)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.firewall.NWFilterFirewall.'
            'setup_basic_filtering', setup_basic_filtering))

    def _nwfilter_error(self, host):
        guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(3)]
        self._nwfilter_failing_for(host, guests[0])
        # nova's own ensure_filtering_rules_for_instance fails the same way
        # and the exception leaves the instance loop.
        self.assertRaises(RuntimeError, host.restart_compute)
        return guests

    def test_nwfilter_error_at_startup_keeps_every_running_chain(self):
        host = self.sgfix_host(defer_iptables_apply=True)
        guests = self._nwfilter_error(host)
        for guest in guests:
            self.assertTrue(host.is_filtered(guest), guest.id)

    def test_control_stock_nwfilter_error_drops_unreached_chains(self):
        host = self.stock_host(defer_iptables_apply=True)
        guests = self._nwfilter_error(host)
        self.assertEqual([False, False, False],
                         [host.is_filtered(guest) for guest in guests])


class UnreadableKernelRulesTest(base.FunctionalTestCase):
    """iptables-save fails when the start-up resync begins."""

    def _early_start(self, host, failing_saves):
        stopped = host.boot(base.SSH_FROM_PEERS)
        running = running_pair(host)
        host.stop(stopped)
        host.iptables.fail_saves = failing_saves
        driver = host.start_compute()
        driver.plug_vifs(stopped.instance, stopped.network_info)
        return stopped, running

    def test_guest_start_is_refused_while_the_rules_cannot_be_read(self):
        host = self.sgfix_host()
        stopped, running = self._early_start(host, failing_saves=-1)

        error = self.assertRaises(exception.FilterSetupFailed, host.start,
                                  stopped)

        self.assertIn('could not be read', str(error))
        self.assertIn('Permission denied', str(error))
        self.assertIn(stopped.instance.uuid, str(error))
        # power_on is a hard reboot: nova undefines the domain before it
        # builds it again, and the refusal comes before the start.
        self.assertFalse(host.runs(stopped))
        for guest in running:
            self.assertTrue(host.is_filtered(guest))

    def test_read_that_recovers_keeps_running_guests_filtered(self):
        host = self.sgfix_host()
        stopped, running = self._early_start(host, failing_saves=1)

        host.start(stopped)

        for guest in [stopped] + running:
            self.assertTrue(host.is_filtered(guest), guest.id)

    def test_startup_with_unreadable_rules_writes_nothing_until_readable(
            self):
        host = self.sgfix_host()
        paused, running = running_pair(host)
        host.pause(paused)
        host.iptables.fail_saves = -1
        restores = host.iptables.restores

        host.restart_compute()

        self.assertEqual(restores, host.iptables.restores)
        self.assertRaises(exception.FilterSetupFailed, host.unpause, paused)
        self.assertEqual(power_state.PAUSED, host.power_state(paused))
        self.assertTrue(host.is_filtered(running))
        host.iptables.fail_saves = 0
        host.unpause(paused)
        self.assertTrue(host.is_filtered(paused))
        self.assertTrue(host.is_filtered(running))
