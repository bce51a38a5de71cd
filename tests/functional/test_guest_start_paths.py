"""Every libvirt path that starts a guest outside the filtered path.

The nova-sgfix cases run with ``resync_on_start`` off, so that each path's
own guard is what puts the chain back (with the resync on, the restart alone
would). Each has its control on stock nova showing the missing chain.
"""

from __future__ import absolute_import

from nova.compute import power_state

from nova_sgfix import exception
from tests.functional import base


class PathTestCase(base.FunctionalTestCase):

    def guarded_host(self):
        return self.sgfix_host(resync_on_start=False)

    def restarted(self, host, prepare):
        """A subject guest prepared by ``prepare``, then a restart.

        A second guest stays running: its re-ensured filter is the restart's
        first iptables-restore, which drops the subject's chain.
        """
        guest = host.boot(base.SSH_FROM_PEERS)
        host.boot(base.SSH_FROM_PEERS)
        prepare(guest)
        host.restart_compute()
        self.assertFalse(host.is_filtered(guest))
        return guest


class UnpauseTest(PathTestCase):

    def test_unpause_after_restart_keeps_guest_filtered(self):
        host = self.guarded_host()
        guest = self.restarted(host, host.pause)
        host.unpause(guest)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))

    def test_control_stock_unpause_after_restart_runs_guest_unfiltered(self):
        host = self.stock_host()
        guest = self.restarted(host, host.pause)
        host.unpause(guest)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))

    def test_unpause_without_any_network_info_refuses_and_stays_paused(self):
        host = self.guarded_host()
        guest = self.restarted(host, host.pause)
        guest.instance.info_cache.network_info = \
            self.nova_host.network_model.NetworkInfo([])

        error = self.assertRaises(exception.NetworkInfoUnavailable,
                                  host.unpause, guest)

        self.assertIn(guest.instance.uuid, str(error))
        self.assertEqual(power_state.PAUSED, host.power_state(guest))


class RescueTest(PathTestCase):

    def test_rescue_of_stopped_guest_after_restart_keeps_it_filtered(self):
        host = self.guarded_host()
        guest = self.restarted(host, host.stop)
        host.rescue(guest)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))

    def test_control_stock_rescue_of_stopped_guest_runs_it_unfiltered(self):
        host = self.stock_host()
        guest = self.restarted(host, host.stop)
        host.rescue(guest)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))

    def _rescued_by_stock_code(self, host):
        guest = self.restarted(host, host.stop)
        self.nova_host.stock_driver_class().rescue(
            host.driver, host.context, guest.instance, guest.network_info,
            self.nova_host.objects.ImageMeta.from_dict({}), 'rescue-pass')
        self.assertFalse(host.is_filtered(guest))
        return guest

    def test_unrescue_of_unfiltered_rescued_guest_filters_it(self):
        host = self.guarded_host()
        guest = self._rescued_by_stock_code(host)
        host.unrescue(guest)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))

    def test_control_stock_unrescue_keeps_guest_unfiltered(self):
        host = self.stock_host()
        guest = self._rescued_by_stock_code(host)
        host.unrescue(guest)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))

    def test_rescue_with_broken_iptables_leaves_guest_stopped(self):
        host = self.guarded_host()
        guest = self.restarted(host, host.stop)
        host.iptables.fail_restores = True
        self.assertRaises(exception.FilterSetupFailed, host.rescue, guest)
        self.assertEqual(power_state.SHUTDOWN, host.power_state(guest))


class ColdSnapshotTest(PathTestCase):

    def _running_unfiltered(self, host):
        """Paused across the restart, then unpaused by stock code."""
        guest = self.restarted(host, host.pause)
        self.nova_host.stock_driver_class().unpause(host.driver,
                                                    guest.instance)
        self.assertFalse(host.is_filtered(guest))
        return guest

    def test_cold_snapshot_restarts_guest_filtered(self):
        host = self.guarded_host()
        guest = self._running_unfiltered(host)
        host.cold_snapshot(guest)
        self.assertEqual(['snapshot-image'], host.snapshot_storage.uploaded)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertTrue(host.is_filtered(guest))

    def test_control_stock_cold_snapshot_restarts_guest_unfiltered(self):
        host = self.stock_host()
        guest = self._running_unfiltered(host)
        host.cold_snapshot(guest)
        self.assertEqual(['snapshot-image'], host.snapshot_storage.uploaded)
        self.assertEqual(power_state.RUNNING, host.power_state(guest))
        self.assertFalse(host.is_filtered(guest))


class AttachInterfaceTest(PathTestCase):
    """Interface attach: every address of the guest is filtered.

    nova-network's API refuses interface attach; the driver call is guarded
    anyway, so no address of a guest is ever left unfiltered.
    """

    NEW_IP = '192.0.2.200'

    def test_attached_interface_address_is_filtered(self):
        host = self.guarded_host()
        guest = host.boot(base.SSH_FROM_PEERS)
        host.attach_interface(guest, self.NEW_IP)
        self.assertTrue(host.is_filtered_ip(guest, self.NEW_IP))
        self.assertTrue(host.is_filtered_ip(guest, guest.ip))

    def test_control_stock_attached_interface_address_is_unfiltered(self):
        host = self.stock_host()
        guest = host.boot(base.SSH_FROM_PEERS)
        host.attach_interface(guest, self.NEW_IP)
        self.assertFalse(host.is_filtered_ip(guest, self.NEW_IP))


class RefreshUnknownInstanceTest(PathTestCase):

    def test_refresh_of_instance_unknown_after_restart_filters_it(self):
        host = self.guarded_host()
        guest = self.restarted(host, host.stop)
        host.driver.refresh_instance_security_rules(guest.instance)
        self.assertTrue(host.is_filtered(guest))

    def test_control_stock_refresh_of_unknown_instance_raises_keyerror(self):
        host = self.stock_host()
        guest = self.restarted(host, host.stop)
        self.assertRaises(KeyError,
                          host.driver.refresh_instance_security_rules,
                          guest.instance)
