"""The service bed's verdicts: a row passes only as the release's code says.

``tests.servicebed.table`` decides whether a bed run proves anything; these
tests hold it to that on hand-made cells (the bed itself needs root, a
libvirtd and a nova tree).
"""

from __future__ import absolute_import

import unittest

from tests.servicebed import scenarios
from tests.servicebed import table


def result(exposed, chain=None, **extra):
    cell = {'guest_up': True, 'exposed': exposed,
            'chain': (not exposed) if chain is None else chain,
            'seconds': 7}
    cell.update(extra)
    return cell


class RowVerdictTest(unittest.TestCase):

    def test_stock_exposed_where_the_code_says_and_sgfix_filtered_passes(self):
        self.assertEqual([], table.problems(
            'paused, unpause', result(True), result(False), True))

    def test_stock_filtered_where_the_code_says_exposed_fails(self):
        wrong = table.problems('paused, unpause', result(False),
                               result(False), True)
        self.assertEqual(['stock expected exposed'], wrong)

    def test_stock_exposed_on_a_reference_row_fails(self):
        wrong = table.problems('stopped, hard reboot', result(True),
                               result(False), False)
        self.assertEqual(['stock expected filtered'], wrong)

    def test_sgfix_without_its_chain_fails_even_when_probes_are_refused(
            self):
        wrong = table.problems('paused, unpause', result(True),
                               result(False, chain=False), True)
        self.assertEqual(['nova-sgfix exposed or without chain'], wrong)

    def test_a_guest_that_is_down_proves_nothing(self):
        down = dict(result(False), guest_up=False)
        wrong = table.problems('stopped, start (power on)', result(False),
                               down, False)
        self.assertEqual(['nova-sgfix: a guest is down'], wrong)

    def test_deleted_row_needs_the_running_domain_and_the_warning(self):
        path = scenarios.DELETED
        stock = result(True, domain='running')
        self.assertEqual([], table.problems(
            path, stock,
            result(False, domain='running', orphan_warning=True), True))
        self.assertEqual(['nova-sgfix logged no orphan WARNING'],
                         table.problems(path, stock, result(
                             False, domain='running',
                             orphan_warning=False), True))
        self.assertEqual(['nova-sgfix: domain shut off'], table.problems(
            path, stock,
            result(False, domain='shut off', orphan_warning=True), True))

    def test_init_row_stock_exposed_elsewhere_than_the_code_says_fails(self):
        path = scenarios.INIT_ROW
        sgfix = result(False)
        self.assertEqual([], table.problems(
            path, result(True, as_code_says=True), sgfix, True))
        self.assertEqual(
            ['stock exposed elsewhere than the uninitialised guests'],
            table.problems(path, result(True, as_code_says=False), sgfix,
                           True))

    def test_a_refused_soft_reboot_passes_only_if_both_got_409(self):
        path = 'stopped, soft reboot'
        refused = {'refused': 409, 'status': 'SHUTOFF', 'guest_up': False,
                   'exposed': False, 'chain': None, 'seconds': 0}
        self.assertEqual([], table.problems(path, refused, refused,
                                            table.REFUSED))
        # An API that took the reboot (a guest came up) is not what
        # Rocky's and Train's code says, whatever the probes found.
        wrong = table.problems(path, result(False), refused, table.REFUSED)
        self.assertEqual(['stock: API answered with no error, server None'],
                         wrong)
        started = dict(refused, status='ACTIVE')
        self.assertEqual(1, len(table.problems(path, refused, started,
                                               table.REFUSED)))

    def test_later_releases_refuse_the_advisory_path_and_skip_error(self):
        for release in ('rocky', 'train'):
            expected = table.EXPECTED[release]
            self.assertIs(table.REFUSED, expected['stopped, soft reboot'])
            self.assertTrue(expected[scenarios.ERROR])
        self.assertFalse(table.EXPECTED['havana'][scenarios.ERROR])

    def test_audit_must_not_list_a_guest_left_shut_off(self):
        self.assertEqual('not listed', table._audit_should_say(
            {'running': False, 'exposed': False}))
        self.assertEqual('CRITICAL', table._audit_should_say(
            {'running': True, 'exposed': True}))
        self.assertEqual('OK', table._audit_should_say({'exposed': False}))

    def test_every_row_has_an_expectation_on_every_release(self):
        for release in ('grizzly', 'havana', 'rocky', 'train'):
            self.assertEqual(set(scenarios.ROWS),
                             set(table.EXPECTED[release]))

    def test_the_advisory_path_differs_between_the_trees(self):
        self.assertTrue(table.EXPECTED['grizzly']['stopped, soft reboot'])
        self.assertFalse(table.EXPECTED['havana']['stopped, soft reboot'])


class CellTest(unittest.TestCase):

    def test_many_guests_are_counted(self):
        guests = [result(True), result(False), result(True)]
        cell = table.cell(dict(result(True, chain=False), guests=guests))
        self.assertIn('EXPOSED 2/3', cell)
        self.assertIn('chain=1/3', cell)


if __name__ == '__main__':
    unittest.main()
