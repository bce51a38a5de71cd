"""Exact chain removal on nova's own IptablesTable."""

from __future__ import absolute_import

import testtools

from nova_sgfix import chain_removal

try:
    from nova.network import linux_net
except ImportError:  # nova 21.0.0 and later: no nova-network
    linux_net = None


def binary_name():
    return 'nova-compute'


class ExactChainRemovalTest(testtools.TestCase):

    def setUp(self):
        super(ExactChainRemovalTest, self).setUp()
        if linux_net is None:
            self.skipTest('this nova has no nova-network IptablesTable')
        self.patch(linux_net, 'binary_name', 'nova-compute')
        self.table = linux_net.IptablesTable()
        self.table.add_chain('local')
        for number in (1, 10, 11, 2):
            self.table.add_chain('inst-%d' % number)
            self.table.add_rule('inst-%d' % number, '-j $sg-fallback')
            self.table.add_rule('local', '-d 192.0.2.%d/32 -j $inst-%d'
                                % (number, number))

    def local_targets(self):
        return [rule.rule.split()[-1] for rule in self.table.rules
                if rule.chain == 'local']

    def test_stock_removal_drops_the_jumps_of_instances_10_and_11(self):
        self.table.remove_chain('inst-1')
        self.assertEqual(['nova-compute-inst-2'], self.local_targets())

    def test_exact_removal_keeps_the_jumps_of_instances_10_and_11(self):
        chain_removal.install(self.table, binary_name)
        self.table.remove_chain('inst-1')
        self.assertEqual(['nova-compute-inst-10', 'nova-compute-inst-11',
                          'nova-compute-inst-2'], self.local_targets())
        self.assertNotIn('inst-1', self.table.chains)
        self.assertTrue(self.table.dirty)

    def test_installing_twice_wraps_once(self):
        chain_removal.install(self.table, binary_name)
        wrapped = self.table.remove_chain
        chain_removal.install(self.table, binary_name)
        self.assertIs(wrapped, self.table.remove_chain)

    def test_removing_an_unknown_chain_changes_nothing(self):
        chain_removal.install(self.table, binary_name)
        before = list(self.table.rules)
        self.table.remove_chain('inst-99')
        self.assertEqual(before, self.table.rules)
