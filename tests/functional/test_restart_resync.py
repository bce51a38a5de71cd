"""A nova-compute restart is a full resync of every instance's filter."""

from __future__ import absolute_import

import fixtures
from nova.compute import power_state

from nova_sgfix import compat
from nova_sgfix import exception
from tests.functional import base


def populate(host, count):
    """``count`` guests: a third running, a third stopped, a third paused."""
    guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(count)]
    for number, guest in enumerate(guests):
        if number % 3 == 1:
            host.stop(guest)
        elif number % 3 == 2:
            host.pause(guest)
    return guests


class RestartResyncTest(base.FunctionalTestCase):

    def _restores_during_restart(self, host):
        before = host.iptables.restores
        host.restart_compute()
        return host.iptables.restores - before

    def _assert_constant_restores_and_all_filtered(self, count):
        host = self.sgfix_host()
        guests = populate(host, count)

        restores = self._restores_during_restart(host)

        self.assertEqual(1, restores)
        for guest in guests:
            self.assertTrue(host.is_filtered(guest), guest.id)

    def test_restart_with_1_instance_restores_all_in_one_iptables_restore(
            self):
        self._assert_constant_restores_and_all_filtered(1)

    def test_restart_with_10_instances_restores_all_in_one_iptables_restore(
            self):
        self._assert_constant_restores_and_all_filtered(10)

    def test_restart_with_50_instances_restores_all_in_one_iptables_restore(
            self):
        self._assert_constant_restores_and_all_filtered(50)

    def test_control_stock_restart_filters_running_guests_only(self):
        host = self.stock_host()
        guests = populate(host, 10)

        restores = self._restores_during_restart(host)

        running = [g for g in guests
                   if host.power_state(g) == power_state.RUNNING]
        self.assertEqual(len(running), restores)
        for guest in guests:
            self.assertEqual(guest in running, host.is_filtered(guest))

    def test_restart_with_defer_iptables_apply_still_restores_everything(
            self):
        host = self.sgfix_host(defer_iptables_apply=True)
        guests = populate(host, 6)

        self.assertEqual(1, self._restores_during_restart(host))
        for guest in guests:
            self.assertTrue(host.is_filtered(guest))

    def _prepares_during_restart(self, host):
        """Instance ids prepared, and set up in libvirt, by the restart."""
        from nova.virt.libvirt import firewall
        calls = {'prepare_instance_filter': [], 'setup_basic_filtering': []}

        def counting(name):
            real = getattr(firewall.IptablesFirewallDriver, name)

            def call(fw, instance, network_info):
                calls[name].append(instance.id)
                return real(fw, instance, network_info)
            return call

        for name in calls:
            self.useFixture(fixtures.MonkeyPatch(
                'nova.virt.libvirt.firewall.IptablesFirewallDriver.' + name,
                counting(name)))
        host.restart_compute()
        self.assertEqual(sorted(calls['prepare_instance_filter']),
                         sorted(calls['setup_basic_filtering']))
        return calls['prepare_instance_filter']

    def test_restart_prepares_each_running_guests_chain_once(self):
        host = self.sgfix_host()
        guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(3)]

        prepared = self._prepares_during_restart(host)

        # plug_vifs registers each guest; nova's
        # ensure_filtering_rules_for_instance with the same network_info
        # would rebuild the identical chain (the restart's cost doubled).
        self.assertEqual(sorted(g.id for g in guests), sorted(prepared))
        kernel = host.kernel()
        for guest in guests:
            self.assertTrue(host.is_filtered(guest), guest.id)
            rules = kernel.rules['nova-compute-inst-%d' % guest.id]
            self.assertEqual(len(rules), len(set(rules)))

    def test_control_stock_restart_prepares_each_running_guest_once(self):
        host = self.stock_host(defer_iptables_apply=True)
        guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(3)]

        prepared = self._prepares_during_restart(host)

        self.assertEqual(sorted(g.id for g in guests), sorted(prepared))

    def test_changed_network_info_after_plug_vifs_is_prepared_again(self):
        host = self.sgfix_host()
        guest = host.boot(base.SSH_FROM_PEERS)
        changed = self.nova_host.make_network_info(
            '192.0.2.250', guest.mac, guest.ip6)
        from nova.virt.libvirt import firewall
        calls = []
        real = firewall.IptablesFirewallDriver.prepare_instance_filter
        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.firewall.IptablesFirewallDriver.'
            'prepare_instance_filter',
            lambda fw, i, n: calls.append(n) or real(fw, i, n)))
        driver = host.start_compute()
        driver.plug_vifs(guest.instance, guest.network_info)
        del calls[:]

        driver.ensure_filtering_rules_for_instance(guest.instance,
                                                   guest.network_info)
        driver.ensure_filtering_rules_for_instance(guest.instance, changed)

        self.assertEqual([changed], calls)

    def test_instance_deleted_while_down_gets_no_chain_back(self):
        host = self.sgfix_host()
        kept, deleted = populate(host, 2)
        host.delete_while_down(deleted, domain_keeps_running=False)

        host.restart_compute()

        self.assertTrue(host.is_filtered(kept))
        self.assertNotIn('nova-compute-inst-%d' % deleted.id,
                         host.kernel().chains)

    def test_one_instance_failing_does_not_stop_the_others(self):
        logs = self.useFixture(fixtures.FakeLogger(name='nova_sgfix'))
        host = self.sgfix_host()
        broken, first, second = populate(host, 3)
        host.empty_info_cache(broken)

        host.restart_compute()

        self.assertTrue(host.is_filtered(first))
        self.assertTrue(host.is_filtered(second))
        self.assertTrue(host.is_filtered(broken))
        self.assertIn('could not register instance %d' % broken.id,
                      logs.output)

    def test_restart_with_broken_iptables_starts_and_guards_refuse(self):
        host = self.sgfix_host()
        running, stopped, paused = populate(host, 3)
        host.iptables.fail_restores = True

        host.restart_compute()

        self.assertRaises(exception.FilterSetupFailed, host.unpause, paused)
        self.assertEqual(power_state.PAUSED, host.power_state(paused))
        host.iptables.fail_restores = False
        host.unpause(paused)
        for guest in (running, stopped, paused):
            self.assertTrue(host.is_filtered(guest))

    def _filtered_when_domain_starts(self, host):
        """nova's start-up starts a guest while its applies are deferred.

        The guest's domain went down outside nova, so an earlier restart
        dropped its chain; with ``resume_guests_state_on_host_boot`` nova's
        own ``_init_instance`` calls ``resume_state_on_host_boot`` for it
        inside the deferred instance loop.
        """
        guest, _other = populate(host, 2)
        host.shut_off_outside_nova(guest)
        host.restart_compute()
        self.assertFalse(host.is_filtered(guest))
        seen = []
        stock_class = self.nova_host.stock_driver_class()
        real_create_domain = stock_class._create_domain

        def create_domain(driver, *args, **kwargs):
            seen.append(host.is_filtered(guest))
            return real_create_domain(driver, *args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.driver.LibvirtDriver._create_domain',
            create_domain))
        host.conf.config(resume_guests_state_on_host_boot=True)
        host.restart_compute()
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        return seen

    def test_guest_started_during_the_resync_is_filtered_before_it_runs(self):
        host = self.sgfix_host(defer_iptables_apply=True,
                               resync_on_start=False)
        self.assertEqual([True], self._filtered_when_domain_starts(host))

    def test_control_stock_deferred_apply_starts_guest_unfiltered(self):
        host = self.stock_host(defer_iptables_apply=True)
        self.assertEqual([False], self._filtered_when_domain_starts(host))


class StartInsideInitLoopTest(base.FunctionalTestCase):
    """A guest started between two _init_instance calls.

    nova's own start-up starts a guest before later instances are
    initialised (here ``resume_state_on_host_boot`` for a guest whose domain
    went down outside nova; a retried power-on or reboot does the same): the
    write before that start must keep the running guests' filters.
    """

    def _running_after_early_start(self, host):
        down = host.boot(base.SSH_FROM_PEERS)
        running = [host.boot(base.SSH_FROM_PEERS) for _ in range(2)]
        host.shut_off_outside_nova(down)
        seen = []
        stock_class = self.nova_host.stock_driver_class()
        real_resume = stock_class.resume_state_on_host_boot

        def resume_state_on_host_boot(driver, *args, **kwargs):
            real_resume(driver, *args, **kwargs)
            seen.extend(host.is_filtered(guest)
                        for guest in [down] + running)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.driver.LibvirtDriver.'
            'resume_state_on_host_boot', resume_state_on_host_boot))
        host.conf.config(resume_guests_state_on_host_boot=True)
        host.restart_compute()
        self.assertEqual(power_state.RUNNING, host.power_state(down))
        return seen, [down] + running

    def test_early_start_keeps_running_guests_filtered(self):
        host = self.sgfix_host()
        seen, guests = self._running_after_early_start(host)
        self.assertEqual([True, True, True], seen)
        for guest in guests:
            self.assertTrue(host.is_filtered(guest))
        self._assert_no_duplicate_rules(host)

    def test_control_stock_early_start_unfilters_running_guests(self):
        host = self.stock_host()
        seen, _guests = self._running_after_early_start(host)
        self.assertEqual([True, False, False], seen)

    def _assert_no_duplicate_rules(self, host):
        kernel = host.kernel()
        for chain, rules in kernel.rules.items():
            self.assertEqual(len(rules), len(set(rules)), chain)


class ConvergenceTest(base.FunctionalTestCase):
    """A second apply after any guarded operation changes nothing."""

    def _assert_converged(self, host):
        from nova.network import linux_net
        before = host.iptables.save()
        compat.mark_tables_dirty(linux_net.iptables_manager)
        linux_net.iptables_manager.apply()
        self.assertEqual(strip_counters(before),
                         strip_counters(host.iptables.save()))

    def _restarted(self):
        host = self.sgfix_host(resync_on_start=False)
        stopped, paused, running = populate(host, 3)
        host.stop(paused)
        host.start(paused)
        host.pause(paused)
        host.restart_compute()
        return host, stopped, paused, running

    def test_soft_reboot_converges(self):
        host, stopped, _paused, running = self._restarted()
        host.soft_reboot(stopped)
        host.soft_reboot(running)
        self._assert_converged(host)

    def test_unpause_converges(self):
        host, _stopped, paused, _running = self._restarted()
        host.unpause(paused)
        self._assert_converged(host)

    def test_rescue_and_unrescue_converge(self):
        host, stopped, _paused, _running = self._restarted()
        host.rescue(stopped)
        self._assert_converged(host)
        host.unrescue(stopped)
        self._assert_converged(host)

    def test_startup_resync_converges(self):
        host = self.sgfix_host()
        populate(host, 6)
        host.restart_compute()
        self._assert_converged(host)


def strip_counters(saved):
    lines = []
    for line in saved.splitlines():
        if line.startswith('#'):
            continue
        if line.startswith(':'):
            line = line.split(' [')[0]
        lines.append(line)
    return lines
