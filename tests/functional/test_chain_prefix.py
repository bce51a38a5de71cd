"""Removing one instance's chain must not unfilter instances 10-19, ...

nova-network matches the jumps to a removed chain by substring, so removing
``inst-1`` also removes the ``nova-compute-local`` jumps of ``inst-10`` to
``inst-19`` (see nova_sgfix.chain_removal).
"""

from __future__ import absolute_import

from tests.functional import base


class ChainPrefixTest(base.FunctionalTestCase):

    def _eleven_guests(self, host):
        return [host.boot(base.SSH_FROM_PEERS) for _ in range(11)]

    def test_hard_reboot_of_instance_1_keeps_instance_11_filtered(self):
        host = self.sgfix_host()
        guests = self._eleven_guests(host)
        host.hard_reboot(guests[0])
        for guest in guests:
            self.assertTrue(host.is_filtered(guest), guest.id)

    def test_control_stock_hard_reboot_of_instance_1_unfilters_instance_11(
            self):
        host = self.stock_host()
        guests = self._eleven_guests(host)
        host.hard_reboot(guests[0])
        self.assertTrue(host.is_filtered(guests[0]))
        self.assertTrue(host.is_filtered(guests[1]))
        self.assertFalse(host.is_filtered(guests[9]))
        self.assertFalse(host.is_filtered(guests[10]))

    def test_deleting_instance_1_keeps_instance_11_filtered(self):
        host = self.sgfix_host()
        guests = self._eleven_guests(host)
        host.delete(guests[0])
        self.assertNotIn('nova-compute-inst-1', host.kernel().chains)
        self.assertTrue(host.is_filtered(guests[10]))

    def test_control_stock_deleting_instance_1_unfilters_instance_11(self):
        host = self.stock_host()
        guests = self._eleven_guests(host)
        host.delete(guests[0])
        self.assertFalse(host.is_filtered(guests[10]))
