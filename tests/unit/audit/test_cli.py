"""The command's contract with a monitoring system, without libvirt.

Whatever cannot be read ends as UNKNOWN (exit 3) with a reason on the
first line: never a traceback, and never OK.
"""

from __future__ import absolute_import
from __future__ import print_function

import json
import sys
import unittest

from nova_sgfix.audit import check
from nova_sgfix.audit import cli
from tests.unit.audit import runner


def results(*verdicts):
    return [check.GuestResult('instance-%08x' % i, 'uuid-%d' % i,
                              'paused' if v == check.WARNING else 'running',
                              ['10.0.0.%d' % i],
                              v, '10.0.0.%d: no jump' % i
                              if v != check.OK else 'filtered')
            for i, v in enumerate(verdicts, 1)]


class UnreadableInputTest(unittest.TestCase):

    def test_bad_arguments_are_unknown_not_critical(self):
        code, out, _err = runner.run_cli(['--format', 'xml'])
        self.assertEqual(check.UNKNOWN, code)
        self.assertTrue(out.startswith('UNKNOWN: '), out)

    def test_truncated_ruleset_is_unknown(self):
        code, out, err = runner.run_cli(
            ['--iptables-save', runner.data('truncated.rules')])
        self.assertEqual(check.UNKNOWN, code)
        self.assertTrue(out.startswith('UNKNOWN: '), out)
        self.assertIn('table filter has no COMMIT', out)
        self.assertNotIn('Traceback', out + err)

    def test_missing_ruleset_file_is_unknown(self):
        code, out, _err = runner.run_cli(
            ['--iptables-save', runner.data('no-such.rules')])
        self.assertEqual(check.UNKNOWN, code)
        self.assertIn('cannot read', out)

    def test_both_rulesets_from_stdin_are_refused(self):
        code, out, _err = runner.run_cli(['--iptables-save', '-',
                                          '--ip6tables-save', '-'])
        self.assertEqual(check.UNKNOWN, code)
        self.assertIn('only one ruleset can come from stdin', out)

    def test_missing_libvirt_binding_is_unknown(self):
        saved = sys.modules.get('libvirt')
        sys.modules['libvirt'] = None

        def restore():
            if saved is None:
                sys.modules.pop('libvirt', None)
            else:
                sys.modules['libvirt'] = saved
        self.addCleanup(restore)
        code, out, _err = runner.run_cli(
            ['--iptables-save', runner.data('filtered.rules')])
        self.assertEqual(check.UNKNOWN, code)
        self.assertIn('libvirt Python binding is not installed', out)

    def test_unexpected_error_is_unknown_without_traceback(self):
        def broken(args):
            raise KeyError('boom')
        self.addCleanup(setattr, cli, 'run', cli.run)
        cli.run = broken
        code, out, err = runner.run_cli([])
        self.assertEqual(check.UNKNOWN, code)
        self.assertTrue(out.startswith(
            'UNKNOWN: 0 critical, 0 warning, 0 ok, 0 unknown; '
            'internal error: KeyError'))
        self.assertNotIn('Traceback', err)

    def test_host_wide_error_in_json_has_status_and_no_guests(self):
        code, out, _err = runner.run_cli(
            ['--format', 'json',
             '--iptables-save', runner.data('truncated.rules')])
        doc = json.loads(out)
        self.assertEqual((check.UNKNOWN, 'UNKNOWN', []),
                         (code, doc['status'], doc['guests']))


class RenderTest(unittest.TestCase):

    def test_ok_line_counts_guests_and_ips(self):
        text = cli.render(check.Report(check.OK, results(check.OK,
                                                         check.OK)),
                          'nagios', False)
        self.assertEqual('OK: 0 critical, 0 warning, 2 ok, 0 unknown; '
                         '2 active guests filtered (2 IPs) | guests=2 '
                         'critical=0 warning=0 unknown=0', text)

    def test_first_line_names_the_guests_and_ips_at_fault_worst_first(self):
        report = check.Report(check.CRITICAL,
                              results(check.OK, check.WARNING,
                                      check.CRITICAL))
        first = cli.render(report, 'nagios', False).splitlines()[0]
        self.assertEqual(
            'CRITICAL: 1 critical, 1 warning, 1 ok, 0 unknown; '
            '2 of 3 active guests not filtered: '
            'instance-00000003 (running): 10.0.0.3: no jump; '
            'instance-00000002 (paused): 10.0.0.2: no jump '
            '| guests=3 critical=1 warning=1 unknown=0', first)

    def test_verbose_adds_one_line_per_guest(self):
        report = check.Report(check.WARNING, results(check.OK,
                                                     check.WARNING))
        lines = cli.render(report, 'nagios', True).splitlines()
        self.assertEqual(3, len(lines))
        self.assertEqual('OK instance-00000001 uuid-1 running [10.0.0.1]: '
                         'filtered', lines[1])

    def test_long_lists_of_guests_are_cut_on_the_first_line(self):
        report = check.Report(check.CRITICAL,
                              results(*[check.CRITICAL] * 12))
        first = cli.render(report, 'nagios', False).splitlines()[0]
        self.assertIn('and 2 more', first)

    def test_json_has_one_record_per_guest(self):
        report = check.Report(check.CRITICAL,
                              results(check.OK, check.CRITICAL))
        doc = json.loads(cli.render(report, 'json', False))
        self.assertEqual(2, doc['exit_code'])
        self.assertEqual({'name': 'instance-00000002', 'uuid': 'uuid-2',
                          'state': 'running', 'ips': ['10.0.0.2'],
                          'verdict': 'CRITICAL',
                          'reason': '10.0.0.2: no jump'},
                         doc['guests'][1])
