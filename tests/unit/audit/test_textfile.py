"""``--format prometheus``: node_exporter textfile metrics a fleet can scrape.

Checked with the real parser of the exposition format (prometheus_client's),
the one a Prometheus-side tool would use, and against guests read through
the real libvirt binding's test driver.
"""

from __future__ import absolute_import
from __future__ import print_function

import json
import os
import shutil
import tempfile
import unittest

from nova_sgfix.audit import check
from nova_sgfix.audit import cli
from nova_sgfix.audit import textfile
from tests.unit.audit import runner

try:
    from prometheus_client import parser
except ImportError:
    parser = None
try:
    import libvirt
except ImportError:
    libvirt = None

NODE = 'test://' + runner.data('node.xml')
NWFILTERS = runner.data('nwfilter')
NEEDS_PARSER = ('prometheus_client is not installed (the test pins carry '
                'it): its parser is the judge of the format')


def samples(text):
    """``{(metric, frozenset(labels)): value}`` as the real parser reads it."""
    found = {}
    for family in parser.text_string_to_metric_families(text):
        assert family.type == 'gauge', (family.name, family.type)
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def guest(name, uuid, verdict, state='running'):
    return check.GuestResult(name, uuid, state, ['10.0.0.1'], verdict, 'x')


class OutputDirMixin(object):

    def output_path(self):
        path = tempfile.mkdtemp(prefix='sgfix-textfile-')
        self.addCleanup(shutil.rmtree, path)
        return os.path.join(path, 'nova_sgfix.prom')


@unittest.skipIf(parser is None, NEEDS_PARSER)
@unittest.skipIf(libvirt is None, 'the libvirt Python binding is needed')
class FleetTextfileTest(OutputDirMixin, unittest.TestCase):

    def audit_to_file(self, rules):
        out = self.output_path()
        code, stdout, _err = runner.run_cli(
            ['--connect', NODE, '--nwfilter-dir', NWFILTERS,
             '--iptables-save', runner.data(rules),
             '--format', 'prometheus', '--output', out])
        self.assertEqual('', stdout)
        with open(out) as f:
            return code, f.read(), out

    def test_exposed_guest_is_critical_labelled_by_instance_and_uuid(self):
        code, text, _out = self.audit_to_file('after-restart.rules')
        found = samples(text)
        self.assertEqual(check.CRITICAL, code)
        self.assertEqual(check.CRITICAL, found[(
            'nova_sgfix_audit_status', frozenset())])
        by_name = dict((dict(labels)['instance'], value)
                       for (name, labels), value in found.items()
                       if name == 'nova_sgfix_guest_status')
        self.assertEqual(check.CRITICAL, by_name['instance-00000001'])
        self.assertEqual(check.OK, by_name['instance-00000003'])
        uuids = [dict(labels)['uuid'] for (name, labels) in found
                 if name == 'nova_sgfix_guest_status']
        self.assertTrue(all(uuids), uuids)

    def test_per_verdict_counts_match_the_nagios_first_line(self):
        code, text, _out = self.audit_to_file('after-restart.rules')
        found = samples(text)
        counted = dict((dict(labels)['verdict'], int(value))
                       for (name, labels), value in found.items()
                       if name == 'nova_sgfix_audit_guests')
        _code, nagios, _err = runner.run_cli(
            ['--connect', NODE, '--nwfilter-dir', NWFILTERS,
             '--iptables-save', runner.data('after-restart.rules')])
        self.assertIn('%(critical)d critical, %(warning)d warning, %(ok)d ok, '
                      '%(unknown)d unknown;' % counted, nagios)

    def test_run_time_and_duration_are_gauges_not_sample_timestamps(self):
        _code, text, _out = self.audit_to_file('filtered.rules')
        found = samples(text)
        stamp = found[('nova_sgfix_audit_last_run_timestamp_seconds',
                       frozenset())]
        self.assertGreater(stamp, 1.5e9)
        self.assertGreaterEqual(
            found[('nova_sgfix_audit_duration_seconds', frozenset())], 0)
        for line in text.splitlines():
            if line and not line.startswith('#'):
                after_name = (line.rsplit('}', 1)[1] if '}' in line
                              else line.split(' ', 1)[1])
                # The value only: a trailing timestamp would make the
                # textfile collector drop the whole file.
                self.assertEqual(1, len(after_name.split()), line)

    def test_file_is_readable_by_node_exporter_and_leaves_no_temporary(self):
        _code, _text, out = self.audit_to_file('filtered.rules')
        self.assertEqual(0o644, os.stat(out).st_mode & 0o777)
        self.assertEqual(['nova_sgfix.prom'],
                         os.listdir(os.path.dirname(out)))

    def test_unreadable_host_still_writes_an_unknown_status(self):
        code, text, _out = self.audit_to_file('truncated.rules')
        found = samples(text)
        self.assertEqual(check.UNKNOWN, code)
        self.assertEqual(check.UNKNOWN, found[(
            'nova_sgfix_audit_status', frozenset())])
        self.assertEqual(0, found[(
            'nova_sgfix_audit_host_readable', frozenset())])


@unittest.skipIf(parser is None, NEEDS_PARSER)
class LabelEscapingTest(unittest.TestCase):

    def test_quotes_backslashes_and_newlines_survive_the_parser(self):
        # A literal backslash before n must not come back as a newline.
        odd = 'in"st\\nance\nname\\'
        text = textfile.render(check.Report(check.CRITICAL, [
            guest(odd, 'u"u\\id', check.CRITICAL)]), 0.25, 1.7e9)
        found = samples(text)
        labels = dict(next(labels for (name, labels) in found
                           if name == 'nova_sgfix_guest_status'))
        self.assertEqual((odd, 'u"u\\id'), (labels['instance'],
                                            labels['uuid']))


class AtomicWriteTest(OutputDirMixin, unittest.TestCase):

    def test_failed_rename_keeps_the_old_file_and_removes_the_temporary(self):
        out = self.output_path()
        with open(out, 'w') as f:
            f.write('old\n')

        def refuse(src, dst):
            raise OSError(13, 'Permission denied')
        self.addCleanup(setattr, os, 'rename', os.rename)
        os.rename = refuse
        self.assertRaises(OSError, textfile.write_atomically, out, 'new\n')
        with open(out) as f:
            self.assertEqual('old\n', f.read())
        self.assertEqual(['nova_sgfix.prom'],
                         os.listdir(os.path.dirname(out)))

    def test_unwritable_output_is_unknown_with_the_reason(self):
        missing = os.path.join(self.output_path() + '.d', 'x.prom')
        code, out, _err = runner.run_cli(
            ['--iptables-save', runner.data('truncated.rules'),
             '--format', 'prometheus', '--output', missing])
        self.assertEqual(check.UNKNOWN, code)
        self.assertTrue(out.startswith('UNKNOWN: cannot write %s' % missing),
                        out)


class JsonSchemaVersionTest(unittest.TestCase):

    def test_json_names_its_schema_version_and_counts(self):
        doc = json.loads(cli.render(check.Report(check.CRITICAL, [
            guest('a', 'ua', check.OK), guest('b', 'ub', check.CRITICAL)]),
            'json', False, duration=0.5, timestamp=1.7e9))
        self.assertEqual(cli.JSON_SCHEMA_VERSION, doc['schema_version'])
        self.assertEqual(1, doc['schema_version'])
        self.assertEqual({'critical': 1, 'warning': 0, 'ok': 1,
                          'unknown': 0}, doc['counts'])
        self.assertEqual((0.5, 1.7e9), (doc['duration_seconds'],
                                        doc['timestamp']))
