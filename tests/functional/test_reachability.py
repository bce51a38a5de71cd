"""Reachability of a guest after each guest-starting path, by real packets.

Each test runs one cell of ``tests.functional.matrix``: nova (stock or
nova-sgfix) writes real iptables rules into the namespace that routes a peer
and an outsider to the guest, the path runs after a nova-compute restart,
then TCP connects show what the guest's security group really enforces. The
stock cells are the controls: they show the exposure where nova's code has
it, and that a missing chain does reach the probes. The "without resync"
cases prove each guarded path's own guard: the chain is gone before the path
and back after it.
"""

from __future__ import absolute_import

from tests.functional import base
from tests.functional import matrix

EXPOSED = ['22/outsider', '80/peer', '80/outsider', 'icmp/outsider']
#: nova's default [libvirt] wait_soft_reboot_seconds, one sleep per second
SOFT_REBOOT_WAIT = 120


class ReachabilityTestCase(base.FunctionalTestCase):

    def cell(self, path, column):
        record = matrix.run_cell(path, column)
        self.assertIsNone(record['error'], record)
        self.assertEqual('running', record['power_state'], record)
        return record

    def assertFiltered(self, record):
        self.assertEqual('filtered', record['verdict'], record)
        self.assertEqual(dict(matrix.EXPECTED), dict(record['reachability']))
        self.assertTrue(record['chain_after'], record)

    def assertExposed(self, record):
        self.assertEqual('EXPOSED', record['verdict'], record)
        self.assertEqual(EXPOSED, record['exposed'], record)
        self.assertFalse(record['chain_after'], record)

    def assertGuardRestored(self, record):
        self.assertFiltered(record)
        self.assertFalse(record['chain_before'], record)


class SoftRebootOfStoppedGuestTest(ReachabilityTestCase):
    """The advisory's path: Rocky and Train wait, then hard-reboot."""

    def test_soft_reboot_of_stopped_guest_waits_then_filters_on_stock_nova(
            self):
        record = self.cell('soft-reboot-stopped', 'stock')
        self.assertGuardRestored(record)
        self.assertEqual(SOFT_REBOOT_WAIT, record['soft_reboot_waits'])

    def test_soft_reboot_of_stopped_guest_keeps_guest_filtered(self):
        record = self.cell('soft-reboot-stopped', 'sgfix')
        self.assertFiltered(record)
        self.assertEqual(0, record['soft_reboot_waits'])

    def test_soft_reboot_guard_filters_stopped_guest_without_resync(self):
        record = self.cell('soft-reboot-stopped', 'sgfix-resync-off')
        self.assertGuardRestored(record)
        self.assertEqual(0, record['soft_reboot_waits'])


class SoftRebootOfRunningGuestTest(ReachabilityTestCase):
    """A running guest is re-ensured at restart, on stock nova too."""

    def test_soft_reboot_of_running_guest_stays_filtered_on_stock_nova(self):
        record = self.cell('soft-reboot-running', 'stock')
        self.assertFiltered(record)
        self.assertTrue(record['chain_before'])

    def test_soft_reboot_of_running_guest_keeps_guest_filtered(self):
        self.assertFiltered(self.cell('soft-reboot-running', 'sgfix'))

    def test_soft_reboot_of_running_guest_keeps_filter_without_resync(self):
        self.assertFiltered(self.cell('soft-reboot-running',
                                      'sgfix-resync-off'))


class UnpauseTest(ReachabilityTestCase):

    def test_unpause_after_restart_exposes_guest_on_stock_nova(self):
        self.assertExposed(self.cell('unpause', 'stock'))

    def test_unpause_after_restart_keeps_guest_filtered(self):
        self.assertFiltered(self.cell('unpause', 'sgfix'))

    def test_unpause_guard_filters_guest_without_resync(self):
        self.assertGuardRestored(self.cell('unpause', 'sgfix-resync-off'))


class RescueTest(ReachabilityTestCase):

    def test_rescue_of_stopped_guest_exposes_it_on_stock_nova(self):
        self.assertExposed(self.cell('rescue', 'stock'))

    def test_rescue_of_stopped_guest_keeps_it_filtered(self):
        self.assertFiltered(self.cell('rescue', 'sgfix'))

    def test_rescue_guard_filters_stopped_guest_without_resync(self):
        self.assertGuardRestored(self.cell('rescue', 'sgfix-resync-off'))


class UnrescueTest(ReachabilityTestCase):
    """The guest was rescued after the restart by unguarded code."""

    def test_unrescue_keeps_guest_exposed_on_stock_nova(self):
        self.assertExposed(self.cell('unrescue', 'stock'))

    def test_unrescue_after_restart_keeps_guest_filtered(self):
        self.assertFiltered(self.cell('unrescue', 'sgfix'))

    def test_unrescue_guard_filters_guest_without_resync(self):
        self.assertGuardRestored(self.cell('unrescue', 'sgfix-resync-off'))


class HardRebootReferenceTest(ReachabilityTestCase):
    """The advisory's workaround goes through the filtered path."""

    def test_hard_reboot_of_stopped_guest_is_filtered_on_stock_nova(self):
        self.assertGuardRestored(self.cell('hard-reboot', 'stock'))

    def test_hard_reboot_of_stopped_guest_is_filtered_with_sgfix(self):
        self.assertFiltered(self.cell('hard-reboot', 'sgfix'))

    def test_hard_reboot_of_stopped_guest_is_filtered_without_resync(self):
        self.assertGuardRestored(self.cell('hard-reboot', 'sgfix-resync-off'))


class NoBlinkTest(base.FunctionalTestCase):
    """A probe loop to a blocked port never connects while guards work."""

    def watch(self, key):
        record = matrix.run_watch(key)
        self.assertIsNone(record['error'], record)
        self.assertGreater(record['attempts'], 0, record)
        return record

    def test_restart_and_soft_reboot_of_running_guest_never_open_port(self):
        record = self.watch('soft-reboot-running')
        self.assertEqual(0, record['connects'], record)
        # a fallback to a hard reboot would not be the path under test
        self.assertEqual(0, record['soft_reboot_waits'], record)

    def test_pause_restart_unpause_never_opens_blocked_port(self):
        self.assertEqual(0, self.watch('unpause')['connects'])

    def test_control_stock_pause_restart_unpause_opens_blocked_port(self):
        self.assertGreater(self.watch('unpause-stock')['successes'], 0)
