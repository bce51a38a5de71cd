"""Reading guests, NICs and fixed IPs from domain and nwfilter XML."""

from __future__ import absolute_import
from __future__ import print_function

import unittest

from nova_sgfix.audit import guests
from tests.unit.audit import nova_shapes

NAME = 'instance-00000001'
UUID = '6a1b1e06-0000-4000-8000-000000000001'
MAC1 = 'fa:16:3e:00:00:01'
MAC2 = 'fa:16:3e:00:01:01'


def lookup_from(filters):
    return filters.get


def build(domain_xml, filters, state='running'):
    return guests.build_guest(domain_xml, state, True, lookup_from(filters))


class BuildGuestTest(unittest.TestCase):

    def test_each_nic_gets_its_nova_filter_and_the_filters_ips(self):
        f1 = nova_shapes.filter_name(NAME, MAC1)
        f2 = nova_shapes.filter_name(NAME, MAC2)
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1, MAC2]),
                      {f1: nova_shapes.nwfilter_xml(f1, ['10.0.0.3']),
                       f2: nova_shapes.nwfilter_xml(f2, ['10.1.0.3'])})
        self.assertIsNone(guest.error)
        self.assertEqual((NAME, UUID), (guest.name, guest.uuid))
        self.assertEqual(
            [(MAC1, 'nova-instance-instance-00000001-fa163e000001',
              True, ['10.0.0.3']),
             (MAC2, 'nova-instance-instance-00000001-fa163e000101',
              True, ['10.1.0.3'])],
            [(n.mac, n.filter_name, n.filter_found, n.ipv4)
             for n in guest.nics])
        self.assertFalse(any(n.has_ipv6 for n in guest.nics))

    def test_dhcp_and_project_net_parameters_are_not_taken_for_guest_ips(self):
        f1 = nova_shapes.filter_name(NAME, MAC1)
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]),
                      {f1: nova_shapes.nwfilter_xml(f1, ['10.0.0.3',
                                                         '10.0.0.4'])})
        self.assertEqual(['10.0.0.3', '10.0.0.4'], guest.nics[0].ipv4)

    def test_parameters_in_the_domain_filterref_are_used_too(self):
        xml = nova_shapes.domain_xml(NAME, UUID, [MAC1]).replace(
            "e000001'/>",
            "e000001'><parameter name='IP' value='10.0.0.7'/></filterref>")
        guest = build(xml, {nova_shapes.filter_name(NAME, MAC1):
                            "<filter name='x' chain='root'/>"})
        self.assertEqual(['10.0.0.7'], guest.nics[0].ipv4)

    def test_interface_without_nova_filterref_has_no_filter(self):
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1],
                                             filterref=False), {})
        self.assertIsNone(guest.nics[0].filter_name)

    def test_missing_nwfilter_is_recorded_not_fatal(self):
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]), {})
        self.assertFalse(guest.nics[0].filter_found)
        self.assertEqual([], guest.nics[0].ipv4)

    def test_ipv6_address_is_derived_from_the_64_prefix_and_the_mac(self):
        f1 = nova_shapes.filter_name(NAME, MAC1)
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]),
                      {f1: nova_shapes.nwfilter_xml(
                          f1, ['10.0.0.3'], raserver='2001:db8::1/128',
                          projnet6='2001:db8::')})
        nic = guest.nics[0]
        self.assertEqual(['2001:db8::f816:3eff:fe00:1'], nic.ipv6)
        self.assertTrue(nic.has_ipv6)

    def test_explicit_ipv6_parameter_is_used(self):
        f1 = nova_shapes.filter_name(NAME, MAC1)
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]),
                      {f1: nova_shapes.nwfilter_xml(
                          f1, ['10.0.0.3'],
                          extra_params=[('IPV6', '2001:DB8:0::5')])})
        self.assertEqual(['2001:db8::5'], guest.nics[0].ipv6)

    def test_router_advert_server_alone_marks_ipv6_without_an_address(self):
        f1 = nova_shapes.filter_name(NAME, MAC1)
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]),
                      {f1: nova_shapes.nwfilter_xml(
                          f1, ['10.0.0.3'], raserver='2001:db8::1/128')})
        self.assertTrue(guest.nics[0].has_ipv6)
        self.assertEqual([], guest.nics[0].ipv6)

    def test_ip_parameter_that_is_no_address_is_reported_unreadable(self):
        f1 = nova_shapes.filter_name(NAME, MAC1)
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]),
                      {f1: nova_shapes.nwfilter_xml(f1, ['$IP'])})
        self.assertEqual(['$IP'], guest.nics[0].unreadable)

    def test_malformed_domain_xml_gives_a_guest_error(self):
        guest = build('<domain><name>x</name', {})
        self.assertIn('domain XML is malformed', guest.error)

    def test_malformed_nwfilter_xml_gives_a_guest_error(self):
        guest = build(nova_shapes.domain_xml(NAME, UUID, [MAC1]),
                      {nova_shapes.filter_name(NAME, MAC1): '<filter'})
        self.assertIn('nwfilter XML is malformed', guest.error)
        self.assertEqual(NAME, guest.name)


class AddressTest(unittest.TestCase):

    def test_host_address_accepts_bare_and_host_prefixed_forms(self):
        self.assertEqual((4, '10.0.0.3'), guests.host_address('10.0.0.3/32'))
        self.assertEqual((4, '10.0.0.3'), guests.host_address('10.0.0.3'))
        self.assertEqual((6, '2001:db8::1'),
                         guests.host_address('2001:0db8:0:0::1/128'))

    def test_host_address_rejects_networks_and_garbage(self):
        self.assertIsNone(guests.host_address('10.0.0.0/24'))
        self.assertIsNone(guests.host_address('2001:db8::/64'))
        self.assertIsNone(guests.host_address('br100'))

    def test_eui64_needs_a_64_prefix_and_a_mac(self):
        self.assertEqual('2001:db8::f816:3eff:fe00:1',
                         guests.eui64_address('2001:db8::', '64', MAC1))
        self.assertIsNone(guests.eui64_address('2001:db8::', '48', MAC1))
        self.assertIsNone(guests.eui64_address('2001:db8::', '64', 'fa:16'))
