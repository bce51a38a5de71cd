"""Verdicts on nova-shaped rulesets: each gap a restart can leave behind."""

from __future__ import absolute_import
from __future__ import print_function

import unittest

from nova_sgfix.audit import check
from nova_sgfix.audit import guests
from nova_sgfix.audit import ruleset
from tests.unit.audit import nova_shapes

MAC1 = 'fa:16:3e:00:00:01'
MAC2 = 'fa:16:3e:00:01:01'
V6 = '2001:db8::f816:3eff:fe00:1'


def make_guest(name='instance-00000001', nics=((MAC1, ['10.0.0.3']),),
               state='running', active=True, with_filters=True, **v6):
    """A guest as libvirt would show it, with nova's nwfilters."""
    filters = {}
    if with_filters:
        for mac, ips in nics:
            fname = nova_shapes.filter_name(name, mac)
            filters[fname] = nova_shapes.nwfilter_xml(fname, ips, **v6)
    xml = nova_shapes.domain_xml(name, 'uuid-' + name, [m for m, _ in nics])
    return guests.build_guest(xml, state, active, filters.get)


def rules(instances, **kwargs):
    return ruleset.parse(nova_shapes.filter_table(instances, **kwargs))


def edit(text, old, new):
    assert old in text, old
    return ruleset.parse(text.replace(old, new))


class VerdictTest(unittest.TestCase):

    def audit_one(self, guest, rules4, rules6=None, binary='nova-compute'):
        report = check.audit([guest], rules4, rules6, binary)
        self.assertEqual(1, len(report.results))
        return report.results[0]

    def test_running_guest_with_its_instance_chain_is_ok(self):
        result = self.audit_one(make_guest(),
                                rules([nova_shapes.Instance(1,
                                                            ['10.0.0.3'])]))
        self.assertEqual((check.OK, 'filtered'),
                         (result.verdict, result.reason))
        self.assertEqual(['10.0.0.3'], result.ips)

    def test_running_guest_without_instance_chain_is_critical(self):
        # nova-compute restarted and did not re-register the instance.
        result = self.audit_one(make_guest(), rules([]))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertEqual('10.0.0.3: no jump in nova-compute-local',
                         result.reason)

    def test_paused_guest_without_instance_chain_is_warning(self):
        result = self.audit_one(make_guest(state='paused'), rules([]))
        self.assertEqual(check.WARNING, result.verdict)

    def test_paused_guest_with_its_instance_chain_is_ok(self):
        result = self.audit_one(
            make_guest(state='paused'),
            rules([nova_shapes.Instance(1, ['10.0.0.3'])]))
        self.assertEqual(check.OK, result.verdict)

    def test_inactive_guest_is_not_audited(self):
        report = check.audit([make_guest(state='shutoff', active=False)],
                             rules([]))
        self.assertEqual((check.OK, []), (report.status, report.results))

    def test_instance_chain_without_fallback_is_critical(self):
        result = self.audit_one(
            make_guest(),
            rules([nova_shapes.Instance(1, ['10.0.0.3'], fallback=False)]))
        self.assertEqual(check.CRITICAL, result.verdict)
        # Past its chain the packet reaches nova-network's bridge ACCEPT.
        self.assertIn("accepted by '-A nova-network-FORWARD -i br100 -j "
                      "ACCEPT'", result.reason)

    def test_fallback_that_does_not_drop_is_critical(self):
        text = nova_shapes.filter_table(
            [nova_shapes.Instance(1, ['10.0.0.3'])])
        result = self.audit_one(make_guest(), edit(
            text, '-A nova-compute-sg-fallback -j DROP',
            '-A nova-compute-sg-fallback -j ACCEPT'))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn("accepted by '-A nova-compute-sg-fallback -j ACCEPT'",
                      result.reason)

    def test_jump_for_the_wrong_ip_is_critical(self):
        result = self.audit_one(
            make_guest(), rules([nova_shapes.Instance(1, ['10.0.0.9'])]))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn('10.0.0.3: no jump', result.reason)

    def test_jump_to_a_missing_instance_chain_is_critical(self):
        text = nova_shapes.filter_table(
            [nova_shapes.Instance(1, ['10.0.0.3'])])
        result = self.audit_one(make_guest(), edit(
            text, '-j nova-compute-inst-1\n', '-j nova-compute-inst-2\n'))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn('chain nova-compute-inst-2 is missing', result.reason)

    def test_local_accepting_the_ip_instead_of_an_instance_chain_is_critical(
            self):
        result = self.audit_one(make_guest(), rules(
            [], extra={'nova-compute-local': ['-d 10.0.0.3/32 -j ACCEPT']}))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertEqual('10.0.0.3: no jump in nova-compute-local',
                         result.reason)

    def test_local_accepting_everything_before_the_jump_is_critical(self):
        text = nova_shapes.filter_table(
            [nova_shapes.Instance(1, ['10.0.0.3'])])
        result = self.audit_one(make_guest(), edit(
            text, '[0:0] -A nova-compute-local -d',
            '[0:0] -A nova-compute-local -j ACCEPT\n'
            '[0:0] -A nova-compute-local -d'))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn("10.0.0.3: accepted by '-A nova-compute-local -j "
                      "ACCEPT'", result.reason)

    def test_forward_not_reaching_filter_top_is_critical(self):
        text = nova_shapes.filter_table(
            [nova_shapes.Instance(1, ['10.0.0.3'])])
        result = self.audit_one(make_guest(), edit(
            text, '[0:0] -A FORWARD -j nova-filter-top\n', ''))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn("accepted by '-A nova-network-FORWARD -i br100 -j "
                      "ACCEPT'", result.reason)

    def test_forward_accepting_before_filter_top_is_critical(self):
        text = nova_shapes.filter_table(
            [nova_shapes.Instance(1, ['10.0.0.3'])])
        result = self.audit_one(make_guest(), edit(
            text, '-A FORWARD -j nova-filter-top\n',
            '-A FORWARD -j ACCEPT\n[0:0] -A FORWARD -j nova-filter-top\n'))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn("accepted by '-A FORWARD -j ACCEPT'", result.reason)

    def test_filter_top_not_reaching_local_is_critical(self):
        text = nova_shapes.filter_table(
            [nova_shapes.Instance(1, ['10.0.0.3'])])
        result = self.audit_one(make_guest(), edit(
            text, '[0:0] -A nova-filter-top -j nova-compute-local\n', ''))
        self.assertEqual(check.CRITICAL, result.verdict)

    def test_ruleset_without_filter_table_is_critical(self):
        result = self.audit_one(make_guest(), ruleset.parse(''))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn('no filter table', result.reason)

    def test_other_binary_name_is_followed(self):
        inst = [nova_shapes.Instance(1, ['10.0.0.3'])]
        own = rules(inst, binary='nova-compute.py')
        self.assertEqual(check.OK, self.audit_one(
            make_guest(), own, binary='nova-compute.py').verdict)
        self.assertEqual(check.CRITICAL,
                         self.audit_one(make_guest(), own).verdict)

    def test_missing_nwfilter_is_critical_for_a_running_guest(self):
        result = self.audit_one(make_guest(with_filters=False),
                                rules([nova_shapes.Instance(1,
                                                            ['10.0.0.3'])]))
        self.assertEqual(check.CRITICAL, result.verdict)
        self.assertIn('nwfilter nova-instance-instance-00000001-fa163e000001'
                      ' is missing', result.reason)

    def test_guest_without_nova_filterref_is_unknown(self):
        xml = nova_shapes.domain_xml('vm', 'u', [MAC1], filterref=False)
        guest = guests.build_guest(xml, 'running', True, {}.get)
        result = self.audit_one(guest, rules([]))
        self.assertEqual(check.UNKNOWN, result.verdict)
        self.assertIn('has no nova filterref', result.reason)

    def test_unreadable_guest_is_unknown(self):
        guest = guests.build_guest('<domain', 'running', True, {}.get)
        self.assertEqual(check.UNKNOWN,
                         self.audit_one(guest, rules([])).verdict)

    def test_guest_without_interfaces_is_ok(self):
        result = self.audit_one(make_guest(nics=()), rules([]))
        self.assertEqual((check.OK, 'no network interfaces'),
                         (result.verdict, result.reason))


class SeveralNicsTest(unittest.TestCase):

    NICS = ((MAC1, ['10.0.0.3']), (MAC2, ['10.1.0.3']))

    def test_guest_with_every_nic_filtered_is_ok(self):
        report = check.audit([make_guest(nics=self.NICS)], rules(
            [nova_shapes.Instance(1, ['10.0.0.3', '10.1.0.3'])]))
        self.assertEqual(check.OK, report.status)
        self.assertEqual(['10.0.0.3', '10.1.0.3'], report.results[0].ips)

    def test_one_unfiltered_nic_makes_the_guest_critical(self):
        report = check.audit([make_guest(nics=self.NICS)], rules(
            [nova_shapes.Instance(1, ['10.0.0.3'])]))
        self.assertEqual(check.CRITICAL, report.status)
        self.assertEqual('10.1.0.3: no jump in nova-compute-local',
                         report.results[0].reason)


class Ipv6Test(unittest.TestCase):

    V6_FILTER = {'raserver': '2001:db8::1/128', 'projnet6': '2001:db8::'}

    def inst(self, **kw):
        return nova_shapes.Instance(1, ['10.0.0.3'], [V6], **kw)

    def test_guest_filtered_in_both_families_is_ok(self):
        report = check.audit([make_guest(**self.V6_FILTER)],
                             rules([self.inst()]),
                             rules([self.inst()], family=6))
        self.assertEqual(check.OK, report.status)
        self.assertEqual(['10.0.0.3', V6], report.results[0].ips)

    def test_guest_without_ip6tables_chain_is_critical(self):
        report = check.audit([make_guest(**self.V6_FILTER)],
                             rules([self.inst()]), rules([], family=6))
        self.assertEqual(check.CRITICAL, report.status)
        self.assertEqual('%s: no jump in nova-compute-local' % V6,
                         report.results[0].reason)

    def test_ip6tables_chain_without_fallback_is_critical(self):
        report = check.audit([make_guest(**self.V6_FILTER)],
                             rules([self.inst()]),
                             rules([self.inst(fallback=False)], family=6))
        self.assertEqual(check.CRITICAL, report.status)

    def test_guest_with_ipv6_but_no_ip6tables_ruleset_is_unknown(self):
        report = check.audit([make_guest(**self.V6_FILTER)],
                             rules([self.inst()]))
        self.assertEqual(check.UNKNOWN, report.status)
        self.assertTrue(check.needs_ipv6([make_guest(**self.V6_FILTER)]))
        self.assertFalse(check.needs_ipv6([make_guest()]))

    def test_underivable_address_is_checked_through_the_instance_chain(self):
        guest = make_guest(raserver='2001:db8::1/128')
        ok = check.audit([guest], rules([self.inst()]),
                         rules([self.inst()], family=6))
        gone = check.audit([guest], rules([self.inst()]),
                           rules([], family=6))
        self.assertEqual(check.OK, ok.status)
        self.assertEqual(check.CRITICAL, gone.status)
        self.assertIn('no jump in nova-compute-local to nova-compute-inst-1',
                      gone.results[0].reason)


class OverallStatusTest(unittest.TestCase):

    def test_worst_verdict_wins_with_critical_above_unknown_above_warning(
            self):
        self.assertEqual(check.OK, check.worst([]))
        self.assertEqual(check.WARNING, check.worst([check.OK,
                                                     check.WARNING]))
        self.assertEqual(check.UNKNOWN, check.worst([check.WARNING,
                                                     check.UNKNOWN]))
        self.assertEqual(check.CRITICAL, check.worst([check.UNKNOWN,
                                                      check.CRITICAL,
                                                      check.WARNING]))

    def test_report_covers_every_active_guest(self):
        report = check.audit(
            [make_guest(),
             make_guest('instance-00000002', ((MAC2, ['10.0.0.4']),),
                        state='paused'),
             make_guest('instance-00000003', ((MAC2, ['10.0.0.5']),),
                        state='shutoff', active=False)],
            rules([nova_shapes.Instance(1, ['10.0.0.3'])]))
        self.assertEqual(check.WARNING, report.status)
        self.assertEqual([('instance-00000001', check.OK),
                          ('instance-00000002', check.WARNING)],
                         [(r.name, r.verdict) for r in report.results])
