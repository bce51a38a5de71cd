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


class CreateDomainInstanceTest(testtools.TestCase):
    """``_create_domain`` as each release declares it (read from the tags)."""

    UUID = '6f1e5a3c-0d2b-4c8e-9a71-2b3c4d5e6f70'
    XML = ("<domain type='kvm'><name>instance-00000001</name>"
           "<uuid>%s</uuid><sysinfo type='smbios'><system>"
           "<entry name='uuid'>other</entry></system></sysinfo></domain>"
           % UUID)

    @staticmethod
    def icehouse_to_kilo(self, xml=None, domain=None, instance=None,
                         launch_flags=0, power_on=True):
        pass

    @staticmethod
    def liberty_mitaka(self, xml=None, domain=None, power_on=True,
                       pause=False):
        pass

    @staticmethod
    def newton_to_train(self, xml=None, domain=None, power_on=True,
                        pause=False, post_xml_callback=None):
        pass

    class Domain(object):
        def __init__(self, uuid):
            self.uuid = uuid

        def UUIDString(self):
            if self.uuid is None:
                raise RuntimeError('Domain not found')
            return self.uuid

    def test_icehouse_to_kilo_name_the_instance_they_are_given(self):
        instance = fakes.instance()
        for args, kwargs in ((('xml',), {'instance': instance}),
                             (('xml', None, instance), {})):
            self.assertIs(instance, compat.create_domain_instance(
                self.icehouse_to_kilo, args, kwargs))

    def test_rescue_without_instance_is_named_by_its_xml_uuid(self):
        # rescue: _create_domain(xml) in every release.
        for signature in (self.icehouse_to_kilo, self.liberty_mitaka,
                          self.newton_to_train):
            self.assertEqual({'uuid': self.UUID},
                             compat.create_domain_instance(
                                 signature, (self.XML,), {}))

    def test_liberty_on_name_the_instance_by_its_domain(self):
        domain = self.Domain(self.UUID)
        # soft reboot and cold snapshot: _create_domain(domain=dom);
        # unrescue: _create_domain(xml, virt_dom).
        for args, kwargs in (((), {'domain': domain}),
                             ((self.XML, domain), {}),
                             ((), {'domain': domain, 'pause': True})):
            for signature in (self.liberty_mitaka, self.newton_to_train):
                self.assertEqual({'uuid': self.UUID},
                                 compat.create_domain_instance(
                                     signature, args, kwargs))

    def test_newton_on_create_domain_and_network_call_is_named_by_xml(self):
        self.assertEqual({'uuid': self.UUID}, compat.create_domain_instance(
            self.newton_to_train, (self.XML,),
            {'pause': False, 'power_on': True,
             'post_xml_callback': None}))

    def test_unreadable_domain_or_xml_names_no_instance(self):
        for args, kwargs in (((), {'domain': self.Domain(None)}),
                             (('<not xml',), {}), ((), {})):
            self.assertIsNone(compat.create_domain_instance(
                self.liberty_mitaka, args, kwargs))

    def test_refusal_names_the_instance_from_its_uuid(self):
        from nova_sgfix import exception
        instance = compat.create_domain_instance(
            self.liberty_mitaka, (self.XML,), {})
        error = exception.FilterSetupFailed(compat.instance_uuid(instance),
                                            'start a guest', 'boom')
        self.assertIn(self.UUID, str(error))
