"""Guarded operations at once, as nova-compute runs them: green threads.

nova's ``iptables`` lock is not re-entrant; nova-sgfix must never hold it
while calling into the firewall driver, or the first concurrent apply would
deadlock. Every guest must end filtered, with no rule lost or doubled.
"""

from __future__ import absolute_import

import collections

import eventlet
from nova.compute import power_state

from tests.functional import base

GUESTS = 20


class ConcurrentGuardedOperationsTest(base.FunctionalTestCase):

    def _run_concurrently(self, host):
        guests = [host.boot(base.SSH_FROM_PEERS) for _ in range(GUESTS)]
        operations = []
        for number, guest in enumerate(guests):
            kind = number % 3
            if kind == 0:
                host.stop(guest)
                operations.append((host.soft_reboot, guest))
            elif kind == 1:
                host.pause(guest)
                operations.append((host.unpause, guest))
            else:
                host.stop(guest)
                operations.append((host.rescue, guest))
        host.boot(base.SSH_FROM_PEERS)  # stays running through the restart
        host.restart_compute()

        pool = eventlet.GreenPool(GUESTS)
        with eventlet.Timeout(180):
            for operation, guest in operations:
                pool.spawn(operation, guest)
            pool.waitall()
        return guests

    def _assert_all_filtered_once(self, host, guests):
        kernel = host.kernel()
        local = kernel.rules['nova-compute-local']
        doubled = [rule for rule, count in collections.Counter(local).items()
                   if count > 1]
        self.assertEqual([], doubled)
        for guest in guests:
            self.assertEqual(power_state.RUNNING, host.power_state(guest))
            self.assertTrue(host.is_filtered(guest), guest.id)
            chain = kernel.rules['nova-compute-inst-%d' % guest.id]
            self.assertEqual(len(chain), len(set(chain)), chain)
            self.assertEqual(1, len(host.accepted(guest)))

    def test_twenty_guests_started_at_once_after_restart_end_filtered(self):
        host = self.sgfix_host(resync_on_start=False)
        guests = self._run_concurrently(host)
        self._assert_all_filtered_once(host, guests)

    def test_twenty_guests_at_once_with_startup_resync_end_filtered(self):
        host = self.sgfix_host()
        guests = self._run_concurrently(host)
        self._assert_all_filtered_once(host, guests)

    def test_control_stock_leaves_unpaused_and_rescued_guests_unfiltered(
            self):
        host = self.stock_host(wait_soft_reboot_seconds=1)
        guests = self._run_concurrently(host)
        unfiltered = [g.id for g in guests if not host.is_filtered(g)]
        expected = [g.id for number, g in enumerate(guests) if number % 3]
        self.assertEqual(expected, unfiltered)
