"""compat: the release differences, one place."""

from __future__ import absolute_import

import functools

import testtools

from nova_sgfix import compat
from tests.unit import fakes


class AttachInterfaceArgsTest(testtools.TestCase):

    def test_grizzly_havana_and_train_signatures(self):
        def grizzly(self, instance, image_meta, network_info):
            pass

        def havana(self, instance, image_meta, vif):
            pass

        def train(self, context, instance, image_meta, vif):
            pass

        self.assertEqual(('inst', ['a', 'b']), compat.attach_interface_args(
            grizzly, ('inst', 'meta', ['a', 'b']), {}))
        self.assertEqual(('inst', ['v']), compat.attach_interface_args(
            havana, ('inst', 'meta', 'v'), {}))
        self.assertEqual(('inst', ['v']), compat.attach_interface_args(
            train, ('ctx', 'inst'), {'image_meta': 'meta', 'vif': 'v'}))

    def test_grizzly_signature_under_wrap_exception_is_found(self):
        # Grizzly decorates attach_interface with exception.wrap_exception,
        # whose wrapper takes (self, context, *args, **kw).
        def wrap_exception(function):
            @functools.wraps(function)
            def wrapped(self, context, *args, **kwargs):
                return function(self, context, *args, **kwargs)
            return wrapped

        class GrizzlyDriver(object):
            @wrap_exception
            def attach_interface(self, instance, image_meta, network_info):
                pass

        self.assertEqual(('inst', ['a']), compat.attach_interface_args(
            GrizzlyDriver.attach_interface, ('inst', 'meta', ['a']), {}))


class MergeNetworkInfoTest(testtools.TestCase):

    def test_new_interface_is_appended_once(self):
        known = [{'address': 'fa:16:3e:00:00:01'}]
        new = [{'address': 'fa:16:3e:00:00:02'}]
        merged = compat.merge_network_info(known, new + known)
        self.assertEqual(['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02'],
                         [vif['address'] for vif in merged])

    def test_grizzly_legacy_tuples_are_matched_by_mac(self):
        known = [({'id': 'net'}, {'mac': 'fa:16:3e:00:00:01'})]
        self.assertEqual(known, compat.merge_network_info(known, known))


class RecordsTest(testtools.TestCase):

    def test_havana_and_later_record(self):
        firewall = fakes.FakeFirewall()
        instance = fakes.instance()
        self.assertFalse(compat.firewall_knows(firewall, instance))
        firewall.instance_info[1] = (instance, ['vif'])
        self.assertTrue(compat.firewall_knows(firewall, instance))
        compat.remember_network_info(firewall, instance, ['new'])
        self.assertEqual(['new'],
                         compat.recorded_network_info(firewall, instance))

    def test_grizzly_record_keeps_network_infos_apart(self):
        class GrizzlyFirewall(object):
            def __init__(self):
                self.iptables = fakes.FakeIptables()
                self.instances = {}
                self.network_infos = {}

        firewall = GrizzlyFirewall()
        instance = fakes.instance(3)
        firewall.instances[3] = instance
        firewall.network_infos[3] = ['legacy']
        self.assertTrue(compat.keeps_iptables_filters(firewall))
        self.assertTrue(compat.wants_legacy_network_info(firewall))
        self.assertEqual(['legacy'],
                         compat.recorded_network_info(firewall, instance))
        compat.remember_network_info(firewall, instance, ['newer'])
        self.assertEqual(['newer'], firewall.network_infos[3])

    def test_noop_firewall_keeps_no_filters(self):
        class NoopFirewallDriver(object):
            def __getattr__(self, name):
                return lambda *args, **kwargs: None

        self.assertFalse(compat.keeps_iptables_filters(
            NoopFirewallDriver()))

    def test_fields_of_dicts_and_objects(self):
        class Obj(object):
            uuid = 'u-1'

        self.assertEqual('u-1', compat.instance_uuid(Obj()))
        self.assertEqual('00000000-0000-0000-0000-000000000002',
                         compat.instance_uuid(fakes.instance(2)))
        self.assertEqual('<unknown uuid>', compat.instance_uuid(None))
