"""FilterGuard: establish the filter, or refuse with a clear error."""

from __future__ import absolute_import

import testtools

from nova_sgfix import exception
from nova_sgfix import filtering
from tests.unit import fakes

NETWORK_INFO = ['vif-a']


class EnsureInstanceFilteredTest(testtools.TestCase):

    def setUp(self):
        super(EnsureInstanceFilteredTest, self).setUp()
        self.firewall = fakes.FakeFirewall()
        self.guard = filtering.FilterGuard(self.firewall)
        self.instance = fakes.instance()

    def test_unknown_instance_is_registered_with_the_given_network_info(self):
        self.guard.ensure_instance_filtered(self.instance, NETWORK_INFO,
                                            'soft reboot')
        self.assertEqual(['setup_basic_filtering', 'prepare_instance_filter'],
                         self.firewall.calls)
        self.assertEqual(NETWORK_INFO, self.firewall.instance_info[1][1])

    def test_known_instance_is_rebuilt_with_the_new_network_info(self):
        self.firewall.instance_info[1] = (self.instance, ['old-vif'])
        self.guard.ensure_instance_filtered(self.instance, NETWORK_INFO,
                                            'soft reboot')
        self.assertEqual(['setup_basic_filtering',
                          'refresh_instance_security_rules'],
                         self.firewall.calls)
        self.assertEqual(NETWORK_INFO, self.firewall.instance_info[1][1])

    def test_failure_names_instance_operation_and_cause(self):
        self.firewall.fail_on = 'prepare_instance_filter'
        error = self.assertRaises(
            exception.FilterSetupFailed, self.guard.ensure_instance_filtered,
            self.instance, NETWORK_INFO, 'unpause')
        self.assertIn(self.instance['uuid'], str(error))
        self.assertIn('unpause', str(error))
        self.assertIn('iptables-restore: line 2 failed', str(error))

    def test_failure_marks_tables_dirty_so_the_next_apply_retries(self):
        self.firewall.fail_on = 'setup_basic_filtering'
        self.assertRaises(exception.FilterSetupFailed,
                          self.guard.ensure_instance_filtered,
                          self.instance, NETWORK_INFO, 'rescue')
        self.assertTrue(self.firewall.iptables.ipv4['filter'].dirty)
        self.assertTrue(self.firewall.iptables.ipv6['filter'].dirty)

    def test_missing_network_info_is_refused_before_touching_the_firewall(
            self):
        for missing in (None, []):
            self.assertRaises(exception.NetworkInfoUnavailable,
                              self.guard.ensure_instance_filtered,
                              self.instance, missing, 'soft reboot')
        self.assertEqual([], self.firewall.calls)

    def test_guarded_operation_writes_once_without_deferral(self):
        self.guard.ensure_instance_filtered(self.instance, NETWORK_INFO,
                                            'unpause')
        self.assertEqual(1, self.firewall.iptables.writes)

    def test_deferred_rules_are_written_without_touching_the_shared_flag(
            self):
        self.firewall.iptables.iptables_apply_deferred = True
        self.guard.ensure_instance_filtered(self.instance, NETWORK_INFO,
                                            'unpause')
        self.assertEqual([True], self.firewall.iptables.applies)
        self.assertEqual(1, self.firewall.iptables.writes)
        self.assertTrue(self.firewall.iptables.iptables_apply_deferred)

    def test_batched_registration_leaves_the_apply_deferred(self):
        self.firewall.iptables.iptables_apply_deferred = True
        self.guard.ensure_instance_filtered(self.instance, NETWORK_INFO,
                                            'restore the filter of',
                                            apply_now=False)
        self.assertEqual([True], self.firewall.iptables.applies)
        self.assertEqual(0, self.firewall.iptables.writes)


class NonAsciiErrorTest(testtools.TestCase):
    """Python 2 hosts: a non-ASCII cause still gives the clear refusal."""

    def _refusal(self, cause):
        firewall = fakes.FakeFirewall()
        firewall.prepare_instance_filter = _raiser(cause)
        instance = fakes.instance()
        instance['uuid'] = u'0000-\u00e4'
        return self.assertRaises(
            exception.FilterSetupFailed,
            filtering.FilterGuard(firewall).ensure_instance_filtered,
            instance, NETWORK_INFO, 'unpause')

    def test_unicode_cause(self):
        error = self._refusal(RuntimeError(u'Regel fehlgeschlagen: \u00e4'))
        self.assertIn(u'\u00e4', error.reason)
        self.assertIn('unpause', str(error))

    def test_utf8_bytes_cause(self):
        error = self._refusal(RuntimeError(b'Zeile 2: \xc3\xa4'))
        self.assertIn('Zeile 2', error.reason)
        self.assertIn('0000-', str(error))


def _raiser(exc):
    def raise_it(*args, **kwargs):
        raise exc
    return raise_it


class NetworkInfoForTest(testtools.TestCase):

    def setUp(self):
        super(NetworkInfoForTest, self).setUp()
        self.firewall = fakes.FakeFirewall()
        self.guard = filtering.FilterGuard(self.firewall)

    def test_info_cache_comes_first_as_in_nova_own_paths(self):
        instance = fakes.instance(network_info=[{'address': 'cached'}])
        self.firewall.instance_info[1] = (instance, ['recorded-vif'])
        found = self.guard.network_info_for(instance, 'unpause')
        self.assertEqual(['cached'], [vif['address'] for vif in found])

    def test_firewall_record_serves_when_the_cache_is_empty(self):
        instance = fakes.instance()
        self.firewall.instance_info[1] = (instance, ['recorded-vif'])
        self.assertEqual(['recorded-vif'],
                         self.guard.network_info_for(instance, 'unpause'))

    def test_neither_record_nor_cache_is_a_clear_error(self):
        instance = fakes.instance()
        error = self.assertRaises(exception.NetworkInfoUnavailable,
                                  self.guard.network_info_for, instance,
                                  'unpause')
        self.assertIn(instance['uuid'], str(error))
        self.assertIn('info cache is empty', str(error))


class ApplyPendingTest(testtools.TestCase):

    def setUp(self):
        super(ApplyPendingTest, self).setUp()
        self.firewall = fakes.FakeFirewall()
        self.guard = filtering.FilterGuard(self.firewall)

    def test_nothing_deferred_means_no_write(self):
        self.guard.apply_pending(fakes.instance(), 'start a guest')
        self.assertEqual(0, self.firewall.iptables.writes)

    def test_deferred_rules_are_written_before_a_guest_starts(self):
        self.firewall.iptables.iptables_apply_deferred = True
        self.guard.apply_pending(fakes.instance(), 'start a guest')
        self.assertEqual(1, self.firewall.iptables.writes)
        self.assertTrue(self.firewall.iptables.iptables_apply_deferred)

    def test_failed_write_refuses_the_start(self):
        self.firewall.iptables.iptables_apply_deferred = True
        self.firewall.iptables.fail = RuntimeError('iptables-restore failed')
        self.assertRaises(exception.FilterSetupFailed,
                          self.guard.apply_pending, fakes.instance(),
                          'start a guest')
        self.assertTrue(self.firewall.iptables.ipv4['filter'].dirty)
