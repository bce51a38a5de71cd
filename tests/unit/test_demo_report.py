"""The demonstration's table, verdict, JSON and command line, without root.

The records below have the shape ``tests.functional.matrix`` produces; the
demo formats them and decides the exit status from them alone.
"""

from __future__ import absolute_import

import io
import json
import os
import subprocess

import fixtures
import testtools

from tests.functional import demo

FILTERED = {'22/peer': 'OPEN', '22/outsider': 'CLOSED', '80/peer': 'CLOSED',
            '80/outsider': 'CLOSED'}
WIDE_OPEN = {'22/peer': 'OPEN', '22/outsider': 'OPEN', '80/peer': 'OPEN',
             '80/outsider': 'OPEN'}
TITLES = {'stock': 'stock LibvirtDriver', 'sgfix': 'nova-sgfix',
          'sgfix-resync-off': 'nova-sgfix, resync off'}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def cell(path, column, verdict='filtered', before=True, after=True,
         waits=0, error=None):
    exposed = ['22/outsider', '80/peer', '80/outsider'] \
        if verdict == 'EXPOSED' else []
    return {'path': path, 'path_title': path.replace('-', ' '),
            'column': column, 'column_title': TITLES[column],
            'sgfix': column != 'stock', 'verdict': verdict,
            'chain_before': before, 'chain_after': after,
            'power_state': None if error else 'running',
            'reachability': {} if error else
            (WIDE_OPEN if exposed else FILTERED),
            'exposed': exposed, 'blocked': [], 'soft_reboot_waits': waits,
            'sgfix_log': [], 'error': error}


def watch(column, connects, attempts=50, error=None):
    return {'watch': 'unpause', 'title': '5 x (pause + restart + unpause)',
            'column': column, 'column_title': TITLES[column],
            'sgfix': column != 'stock', 'target': '80/outsider',
            'attempts': attempts, 'connects': connects,
            'successes': connects, 'blinked': connects > 0, 'error': error}


def passing_run():
    records = []
    for path in ('unpause', 'hard-reboot'):
        records.append(cell(path, 'stock', 'EXPOSED', False, False)
                       if path == 'unpause' else
                       cell(path, 'stock', before=False))
        records.append(cell(path, 'sgfix'))
        records.append(cell(path, 'sgfix-resync-off', before=False))
    return records, [watch('sgfix', 0), watch('stock', 40)]


class CellTextTest(testtools.TestCase):

    def test_cells_say_whether_the_chain_was_kept_or_restored(self):
        self.assertEqual('filtered, chain kept',
                         demo.cell_text(cell('unpause', 'sgfix')))
        self.assertEqual('filtered, chain restored', demo.cell_text(
            cell('unpause', 'sgfix-resync-off', before=False)))
        self.assertEqual('EXPOSED, no chain', demo.cell_text(
            cell('unpause', 'stock', 'EXPOSED', False, False)))

    def test_a_cell_with_notes_is_starred_and_the_note_says_why(self):
        record = cell('soft-reboot-stopped', 'stock', before=False, waits=120)
        self.assertEqual('filtered, chain restored*', demo.cell_text(record))
        self.assertIn('waited 120 x 1 s', demo.cell_notes(record)[0])

    def test_evidence_lists_every_probe_in_a_fixed_order(self):
        self.assertEqual(
            '22/peer OPEN    22/outsider OPEN    80/peer OPEN    '
            '80/outsider OPEN',
            demo.evidence_text(cell('unpause', 'stock', 'EXPOSED')))
        self.assertEqual('not probed', demo.evidence_text(
            cell('unpause', 'sgfix', 'ERROR', error='OSError: boom')))


class TableTest(testtools.TestCase):

    def test_grid_has_one_row_per_path_and_one_column_per_driver(self):
        records, _watches = passing_run()
        lines = demo.format_grid(records)
        self.assertEqual(['path', 'stock LibvirtDriver', 'nova-sgfix',
                          'nova-sgfix, resync off'],
                         [part.strip() for part in lines[0].split('|')])
        self.assertEqual(set('-+'), set(lines[1]))
        self.assertEqual(['unpause', 'EXPOSED, no chain',
                          'filtered, chain kept',
                          'filtered, chain restored'],
                         [part.strip() for part in lines[2].split('|')])
        self.assertEqual(4, len(lines))
        self.assertEqual(1, len(set(line.index('|') for line in
                                    [lines[0]] + lines[2:])))

    def test_evidence_shows_each_driver_under_its_path(self):
        records, _watches = passing_run()
        text = '\n'.join(demo.format_evidence(records))
        self.assertIn('unpause\n  stock LibvirtDriver     22/peer OPEN',
                      text)

    def test_watches_name_the_control(self):
        lines = demo.format_watches([watch('sgfix', 0), watch('stock', 40)])
        self.assertIn('0 connects in 50 attempts  no blink', lines[1])
        self.assertIn('40 connects in 50 attempts  OPENED (control)',
                      lines[2])


class VerdictTest(testtools.TestCase):

    def test_pass_names_the_stock_exposures(self):
        ok, line = demo.judge(*passing_run())
        self.assertTrue(ok)
        self.assertEqual(
            'VERDICT: PASS: nova-sgfix left no guest exposed (4 cells, 1 '
            'no-blink watches); stock nova exposed it after: unpause', line)

    def test_an_exposed_sgfix_cell_fails(self):
        records, watches = passing_run()
        records[1] = cell('unpause', 'sgfix', 'EXPOSED', False, False)
        ok, line = demo.judge(records, watches)
        self.assertFalse(ok)
        self.assertEqual('VERDICT: FAIL: unpause (nova-sgfix): EXPOSED', line)

    def test_a_blink_with_the_fix_fails_but_the_stock_control_does_not(self):
        records, watches = passing_run()
        self.assertTrue(demo.judge(records, watches)[0])
        watches[0] = watch('sgfix', 2)
        ok, line = demo.judge(records, watches)
        self.assertFalse(ok)
        self.assertIn('2 connects in 50 attempts  OPENED', line)

    def test_a_watch_that_never_probed_proves_nothing(self):
        records, _watches = passing_run()
        self.assertFalse(demo.judge(records, [watch('sgfix', 0, 0)])[0])

    def test_an_error_anywhere_fails(self):
        records, watches = passing_run()
        records[0] = cell('unpause', 'stock', 'ERROR', error='OSError: x')
        self.assertFalse(demo.judge(records, watches)[0])


class ReportTest(testtools.TestCase):

    def test_json_report_holds_cells_watches_and_verdict(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'new', 'demo.json')
        report = demo.build_report(*passing_run() + (
            {'nova_version': '20.6.1', 'python_version': '3.7.16'},))
        demo.write_json(path, report)
        with io.open(path, encoding='utf-8') as saved:
            loaded = json.load(saved)
        self.assertTrue(loaded['verdict']['ok'])
        self.assertEqual(6, len(loaded['cells']))
        self.assertEqual(2, len(loaded['watches']))
        self.assertEqual('20.6.1', loaded['nova_version'])

    def test_printed_report_ends_with_the_verdict(self):
        report = demo.build_report(*passing_run() + (
            {'nova_version': '18.3.0', 'python_version': '2.7.18'},))
        text = demo.format_report(report)
        self.assertTrue(text.startswith('OSSN-0022 reachability: nova '
                                        '18.3.0 on Python 2.7.18'))
        self.assertTrue(text.endswith(report['verdict']['line']))


class CommandLineTest(testtools.TestCase):

    def test_unknown_path_is_refused(self):
        self.useFixture(fixtures.MockPatch('sys.stderr'))
        self.assertRaises(SystemExit, demo.parse_args, ['--paths', 'resume'])

    def test_paths_are_split(self):
        args = demo.parse_args(['--paths', 'unpause, rescue'])
        self.assertEqual(['unpause', 'rescue'], args.paths)

    def test_a_machine_without_prerequisites_exits_2(self):
        self.useFixture(fixtures.MockPatch('sys.stderr'))
        self.useFixture(fixtures.MockPatch(
            'tests.functional.base.missing_prerequisite',
            return_value='needs root'))
        self.assertEqual(2, demo.main(['--paths', 'unpause']))

    def test_demo_script_is_shellcheck_clean(self):
        if not demo_tool('shellcheck'):
            self.skipTest('shellcheck is not installed')
        proc = subprocess.Popen(['shellcheck', '-x', 'tools/demo.sh'],
                                cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        out = proc.communicate()[0]
        self.assertEqual(0, proc.returncode, out)


def demo_tool(name):
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        if os.access(os.path.join(directory, name), os.X_OK):
            return True
    return False
