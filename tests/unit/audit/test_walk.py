"""The verdict follows the packet: rulesets that expose a filtered guest.

Each test starts from the ruleset nova writes for a guest that has its
instance chain (OK) and adds what an operator, another service or an
attacker might add. A guest is OK only when every packet to it that can be
accepted is accepted by its own instance chain.
"""

from __future__ import absolute_import
from __future__ import print_function

import unittest

from nova_sgfix.audit import check
from nova_sgfix.audit import ruleset
from tests.unit.audit import nova_shapes
from tests.unit.audit import test_check

INST = nova_shapes.Instance(1, ['10.0.0.3'])


def nova_table(extra=None):
    return nova_shapes.filter_table([INST], extra=extra)


def verdict(text, state='running'):
    report = check.audit([test_check.make_guest(state=state)],
                         ruleset.parse(text))
    return report.results[0].verdict, report.results[0].reason


def before(text, line, *new):
    """Insert rules before the first ``[0:0] -A <line>`` rule."""
    marker = '[0:0] -A %s' % line
    assert marker in text, marker
    added = ''.join('[0:0] %s\n' % rule for rule in new)
    return text.replace(marker, added + marker, 1)


def declare(text, *chains):
    return text.replace('*filter\n', '*filter\n' + ''.join(
        ':%s - [0:0]\n' % c for c in chains), 1)


def nova_network_first(text):
    """The order after nova-network applied last on a multi-host node."""
    text = text.replace(
        '[0:0] -A nova-filter-top -j nova-network-local\n', '')
    return before(text, 'nova-filter-top -j nova-compute-local',
                  '-A nova-filter-top -j nova-network-local')


class IssueRulesetsTest(unittest.TestCase):
    """The three rulesets an earlier audit called OK."""

    def test_nova_ruleset_is_ok(self):
        self.assertEqual((check.OK, 'filtered'), verdict(nova_table()))

    def test_open_all_chain_before_nova_filter_top_is_critical(self):
        text = declare(before(nova_table(), 'FORWARD -j nova-filter-top',
                              '-A FORWARD -j open-all'), 'open-all')
        text = text.replace('COMMIT', '[0:0] -A open-all -j ACCEPT\nCOMMIT')
        code, reason = verdict(text)
        self.assertEqual(check.CRITICAL, code)
        self.assertIn("accepted by '-A open-all -j ACCEPT'", reason)

    def test_nova_network_local_ending_in_accept_is_critical(self):
        text = nova_network_first(nova_table(
            extra={'nova-network-local': ['-j ACCEPT']}))
        code, reason = verdict(text)
        self.assertEqual(check.CRITICAL, code)
        self.assertIn("'-A nova-network-local -j ACCEPT'", reason)

    def test_provider_chain_accepting_everything_is_critical(self):
        code, reason = verdict(nova_table(
            extra={'nova-compute-provider': ['-j ACCEPT']}))
        self.assertEqual(check.CRITICAL, code)
        self.assertIn("'-A nova-compute-provider -j ACCEPT'", reason)

    def test_real_nova_network_order_with_empty_chains_is_ok(self):
        self.assertEqual(check.OK, verdict(nova_network_first(
            nova_table()))[0])

    def test_paused_guest_behind_an_open_all_is_warning(self):
        self.assertEqual(check.WARNING, verdict(nova_table(
            extra={'nova-compute-provider': ['-j ACCEPT']}),
            state='paused')[0])


class AttackerRulesetsTest(unittest.TestCase):

    def forward_first(self, *rules):
        return verdict(before(nova_table(), 'FORWARD -j nova-filter-top',
                              *rules))

    def test_accept_by_source_only_before_nova_is_critical(self):
        self.assertEqual(check.CRITICAL, self.forward_first(
            '-A FORWARD -s 203.0.113.0/24 -j ACCEPT')[0])

    def test_accept_for_another_destination_is_skipped(self):
        self.assertEqual(check.OK, self.forward_first(
            '-A FORWARD -d 10.0.0.9/32 -j ACCEPT',
            '-A FORWARD -d 192.0.2.0/24 -p tcp -j ACCEPT')[0])

    def test_negated_destination_of_another_host_is_critical(self):
        self.assertEqual(check.CRITICAL, self.forward_first(
            '-A FORWARD ! -d 10.0.0.9/32 -j ACCEPT')[0])

    def test_negated_destination_of_the_guest_is_skipped(self):
        self.assertEqual(check.OK, self.forward_first(
            '-A FORWARD ! -d 10.0.0.0/24 -j ACCEPT')[0])

    def test_ip_range_covering_the_guest_is_critical(self):
        self.assertEqual(check.CRITICAL, self.forward_first(
            '-A FORWARD -m iprange --dst-range 10.0.0.1-10.0.0.9 '
            '-j ACCEPT')[0])
        self.assertEqual(check.OK, self.forward_first(
            '-A FORWARD -m iprange --dst-range 10.0.0.4-10.0.0.9 '
            '-j ACCEPT')[0])

    def test_unknown_match_module_is_warning_with_the_rule_quoted(self):
        for rule in ('-A FORWARD -m set --match-set trusted src -j ACCEPT',
                     '-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT',
                     '-A FORWARD -p tcp --weird-option 1 -j ACCEPT'):
            code, reason = self.forward_first(rule)
            self.assertEqual(check.WARNING, code, rule)
            self.assertIn("'%s' (cannot judge" % rule, reason)

    def test_established_accept_outside_the_chain_is_ok(self):
        self.assertEqual(check.OK, self.forward_first(
            '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED '
            '-j ACCEPT')[0])
        self.assertEqual(check.CRITICAL, self.forward_first(
            '-A FORWARD -m conntrack --ctstate NEW,ESTABLISHED '
            '-j ACCEPT')[0])

    def test_goto_into_an_accepting_chain_is_critical(self):
        text = declare(before(nova_table(), 'FORWARD -j nova-filter-top',
                              '-A FORWARD -p tcp -g pass'), 'pass')
        text = text.replace('COMMIT', '[0:0] -A pass -j ACCEPT\nCOMMIT')
        self.assertEqual(check.CRITICAL, verdict(text)[0])

    def test_return_from_the_instance_chain_before_fallback_is_critical(
            self):
        text = before(nova_table(),
                      'nova-compute-inst-1 -j nova-compute-sg-fallback',
                      '-A nova-compute-inst-1 -p udp -j RETURN')
        code, reason = verdict(text)
        self.assertEqual(check.CRITICAL, code)
        self.assertIn('nova-network-FORWARD', reason)

    def test_blanket_accept_in_the_instance_chain_is_critical(self):
        text = before(nova_table(),
                      'nova-compute-inst-1 -j nova-compute-sg-fallback',
                      '-A nova-compute-inst-1 -j ACCEPT')
        self.assertEqual(check.CRITICAL, verdict(text)[0])

    def test_queue_to_user_space_is_warning(self):
        self.assertEqual(check.WARNING, self.forward_first(
            '-A FORWARD -j NFQUEUE --queue-num 1')[0])

    def test_drop_policy_without_nova_network_accepts_is_ok(self):
        text = nova_table().replace(':FORWARD ACCEPT', ':FORWARD DROP')
        text = text.replace('[0:0] -A nova-network-FORWARD -i br100 -j '
                            'ACCEPT\n', '')
        text = text.replace('[0:0] -A nova-network-FORWARD -o br100 -j '
                            'ACCEPT\n', '')
        self.assertEqual(check.OK, verdict(before(
            text, 'nova-compute-inst-1 -j nova-compute-sg-fallback',
            '-A nova-compute-inst-1 -j RETURN'))[0])

    def test_no_chain_stays_critical_on_a_drop_policy_host(self):
        text = nova_shapes.filter_table([]).replace(':FORWARD ACCEPT',
                                                    ':FORWARD DROP')
        self.assertEqual(check.CRITICAL, verdict(text)[0])

    def test_drop_before_nova_leaves_the_chain_unreached_warning(self):
        code, reason = self.forward_first('-A FORWARD -j DROP')
        self.assertEqual(check.WARNING, code)
        self.assertIn('nova-compute-inst-1 is not reached', reason)
