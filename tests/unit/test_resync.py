"""StartupResync: one batch, one write, failures isolated."""

from __future__ import absolute_import

import fixtures
import testtools

from nova_sgfix import domains
from nova_sgfix import filtering
from nova_sgfix import resync
from tests.unit import fakes


class FakeLookup(object):
    def __init__(self, guests):
        self.guests = guests

    def presence(self, instance_id, addresses):
        runs = self.guests.get(str(instance_id))
        return domains.Presence(runs, 'instance-%s' % instance_id,
                                'running' if runs else 'no domain')


class StartupResyncTest(testtools.TestCase):

    def setUp(self):
        super(StartupResyncTest, self).setUp()
        self.logs = self.useFixture(fixtures.FakeLogger(name='nova_sgfix'))
        self.firewall = fakes.FakeFirewall()
        self.guests = {}
        self.resync = resync.StartupResync(
            filtering.FilterGuard(self.firewall),
            lambda: FakeLookup(self.guests))

    def test_every_instance_is_registered_and_written_once(self):
        self.resync.begin()
        for number in range(1, 6):
            self.resync.restore(fakes.instance(number), ['vif'])
        self.resync.finish()
        self.assertEqual(5, len(self.firewall.instance_info))
        self.assertEqual(1, self.firewall.iptables.writes)

    def test_restore_outside_the_startup_window_does_nothing(self):
        self.resync.restore(fakes.instance(), ['vif'])
        self.assertEqual([], self.firewall.calls)

    def test_failing_instance_is_logged_with_its_id_and_others_go_on(self):
        self.resync.begin()
        self.resync.restore(fakes.instance(7), [])
        self.resync.restore(fakes.instance(8), ['vif'])
        self.resync.finish()
        self.assertEqual([8], list(self.firewall.instance_info))
        self.assertIn('instance 7', self.logs.output)
        self.assertEqual(1, len(self.resync.failed))

    def test_failed_final_write_is_logged_not_raised_and_retried_later(self):
        self.resync.begin()
        self.resync.restore(fakes.instance(), ['vif'])
        self.firewall.iptables.fail = RuntimeError('iptables-restore failed')
        self.resync.finish()
        self.assertFalse(self.resync.in_progress)
        self.assertIn('could not write', self.logs.output)
        self.assertTrue(self.firewall.iptables.ipv4['filter'].dirty)

    def test_finish_twice_writes_once(self):
        self.resync.begin()
        self.resync.finish()
        self.resync.finish()
        self.assertEqual(1, self.firewall.iptables.writes)

    def test_registration_in_the_window_is_recognised_with_its_network_info(
            self):
        guest = fakes.instance(3)
        self.resync.begin()
        self.resync.restore(guest, ['vif'])
        self.assertTrue(self.resync.registered_moments_ago(guest, ['vif']))
        self.assertFalse(self.resync.registered_moments_ago(guest, ['other']))
        self.assertFalse(self.resync.registered_moments_ago(guest, []))
        self.assertFalse(self.resync.registered_moments_ago(
            fakes.instance(4), ['vif']))

    def test_registration_is_not_recognised_once_forgotten_or_written(self):
        guest = fakes.instance(3)
        self.resync.begin()
        self.resync.restore(guest, ['vif'])
        self.firewall.instance_info.pop(3)
        self.assertFalse(self.resync.registered_moments_ago(guest, ['vif']))
        self.resync.restore(guest, ['vif'])
        self.resync.finish()
        self.assertFalse(self.resync.registered_moments_ago(guest, ['vif']))

    def test_failed_registration_is_not_recognised(self):
        guest = fakes.instance(7)
        self.resync.begin()
        self.resync.restore(guest, [])
        self.assertFalse(self.resync.registered_moments_ago(guest, []))
