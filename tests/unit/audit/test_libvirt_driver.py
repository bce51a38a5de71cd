"""The whole command against a real libvirt: the binding's test driver.

``test:///<abs path>.xml`` makes libvirt load a node with its domains from a
file, so domains, their states and their interface XML come through the real
library and the real Python binding. The test driver has no nwfilter driver,
so the nwfilters (as nova defines them) come from ``--nwfilter-dir``, the way
libvirt keeps them in /etc/libvirt/nwfilter. Rulesets are files shaped as
``iptables-save -c`` prints nova's rules (tests/unit/audit/data).
"""

from __future__ import absolute_import
from __future__ import print_function

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from nova_sgfix.audit import check
from nova_sgfix.audit import sources
from tests.unit.audit import nova_shapes
from tests.unit.audit import runner

try:
    import libvirt
except ImportError:
    libvirt = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
NODE = 'test://' + runner.data('node.xml')
NWFILTERS = runner.data('nwfilter')


SKIP_REASON = ('the libvirt Python binding (libvirt-python) is not '
               'installed; these tests need the real library')


class _OldConnection(object):
    """A real connection seen as libvirt < 0.9.13 offers it."""

    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        if name == 'listAllDomains':
            raise AttributeError(name)
        return getattr(self._conn, name)


@unittest.skipIf(libvirt is None, SKIP_REASON)
class ReadGuestsTest(unittest.TestCase):

    def test_guests_are_read_without_list_all_domains_too(self):
        conn = sources.open_libvirt(NODE)
        lookup = sources.directory_filter_lookup(NWFILTERS)
        new = sources.read_guests(conn, lookup)
        old = sources.read_guests(_OldConnection(conn), lookup)
        self.assertEqual(new, old)
        self.assertEqual(
            [('instance-00000001', 'running', True),
             ('instance-00000002', 'paused', True),
             ('instance-00000003', 'running', True),
             ('instance-00000004', 'shutoff', False)],
            [(g.name, g.state, g.active) for g in new])


@unittest.skipIf(libvirt is None, SKIP_REASON)
class LibvirtTestDriverTest(unittest.TestCase):

    def audit(self, rules, *extra, **kw):
        argv = ['--connect', kw.get('uri', NODE),
                '--nwfilter-dir', kw.get('nwfilters', NWFILTERS),
                '--iptables-save', runner.data(rules)] + list(extra)
        return runner.run_cli(argv)

    def audit_json(self, rules, **kw):
        code, out, _err = self.audit(rules, '--format', 'json', **kw)
        doc = json.loads(out)
        self.assertEqual(code, doc['exit_code'])
        return code, dict((g['name'], g) for g in doc['guests'])

    def tmpdir(self):
        path = tempfile.mkdtemp(prefix='sgfix-audit-')
        self.addCleanup(shutil.rmtree, path)
        return path

    def test_every_guest_behind_its_instance_chain_is_ok(self):
        code, out, _err = self.audit('filtered.rules')
        self.assertEqual(check.OK, code)
        self.assertEqual('OK: 0 critical, 0 warning, 3 ok, 0 unknown; '
                         '3 active guests filtered (4 IPs) | guests=3 '
                         'critical=0 warning=0 unknown=0\n', out)

    def test_running_guest_without_instance_chain_is_critical(self):
        # The state after a nova-compute restart: only instance 3 was
        # running then and got its chain back; instance 1 was stopped and
        # soft-rebooted since, instance 2 is paused.
        code, out, _err = self.audit('after-restart.rules')
        self.assertEqual(check.CRITICAL, code)
        self.assertTrue(out.startswith(
            'CRITICAL: 1 critical, 1 warning, 1 ok, 0 unknown; '
            '2 of 3 active guests not filtered: '
            'instance-00000001 (running): 10.0.0.3: no jump in '
            'nova-compute-local; instance-00000002 (paused): 10.0.0.4: '
            'no jump in nova-compute-local |'), out)

    def test_json_has_one_record_per_active_guest(self):
        code, guests = self.audit_json('after-restart.rules')
        self.assertEqual(check.CRITICAL, code)
        self.assertEqual(['instance-00000001', 'instance-00000002',
                          'instance-00000003'], sorted(guests))
        self.assertEqual(
            {'name': 'instance-00000002',
             'uuid': '6a1b1e06-0000-4000-8000-000000000002',
             'state': 'paused', 'ips': ['10.0.0.4'], 'verdict': 'WARNING',
             'reason': '10.0.0.4: no jump in nova-compute-local'},
            guests['instance-00000002'])
        self.assertEqual(('OK', ['10.0.0.5', '10.1.0.5']),
                         (guests['instance-00000003']['verdict'],
                          guests['instance-00000003']['ips']))

    def test_paused_guest_without_instance_chain_is_warning(self):
        tmp = self.tmpdir()
        rules = os.path.join(tmp, 'paused-exposed.rules')
        with open(rules, 'w') as f:
            f.write(nova_shapes.filter_table([
                nova_shapes.Instance(1, ['10.0.0.3']),
                nova_shapes.Instance(3, ['10.0.0.5', '10.1.0.5'])]))
        code, out, _err = self.audit(rules)
        self.assertEqual(check.WARNING, code)
        self.assertIn('instance-00000002 (paused): 10.0.0.4', out)

    def test_missing_nwfilter_of_a_running_guest_is_critical(self):
        tmp = self.tmpdir()
        for name in os.listdir(NWFILTERS):
            if '00000001' not in name:
                shutil.copy(os.path.join(NWFILTERS, name), tmp)
        code, out, _err = self.audit('filtered.rules', nwfilters=tmp)
        self.assertEqual(check.CRITICAL, code)
        self.assertIn('nwfilter nova-instance-instance-00000001-fa163e000001'
                      ' is missing', out)

    def test_truncated_ruleset_is_unknown(self):
        code, out, _err = self.audit('truncated.rules')
        self.assertEqual(check.UNKNOWN, code)
        self.assertIn('truncated', out)

    def test_libvirt_unreachable_is_unknown(self):
        code, out, err = self.audit(
            'filtered.rules',
            uri='qemu+unix:///system?socket=/nonexistent/libvirt-sock-ro')
        self.assertEqual(check.UNKNOWN, code)
        self.assertTrue(out.startswith(
            'UNKNOWN: 0 critical, 0 warning, 0 ok, 0 unknown; cannot '
            'connect to libvirt at qemu+unix:///system'), out)
        self.assertNotIn('Traceback', out + err)

    def test_connection_without_nwfilter_driver_is_unknown_not_ok(self):
        code, out, _err = runner.run_cli(
            ['--connect', NODE,
             '--iptables-save', runner.data('filtered.rules')])
        self.assertEqual(check.UNKNOWN, code)
        self.assertIn('no nwfilter driver', out)

    def test_ipv6_guest_is_checked_against_the_ip6tables_ruleset(self):
        tmp = self.tmpdir()
        name, mac = 'instance-0000000a', 'fa:16:3e:00:00:0a'
        v6 = '2001:db8::f816:3eff:fe00:a'
        with open(os.path.join(tmp, 'node.xml'), 'w') as f:
            f.write(nova_shapes.node_xml([nova_shapes.domain_xml(
                name, '6a1b1e06-0000-4000-8000-00000000000a', [mac])]))
        os.mkdir(os.path.join(tmp, 'nwfilter'))
        fname = nova_shapes.filter_name(name, mac)
        with open(os.path.join(tmp, 'nwfilter', fname + '.xml'), 'w') as f:
            f.write(nova_shapes.nwfilter_xml(
                fname, ['10.0.0.10'], raserver='2001:db8::1/128',
                projnet6='2001:db8::'))
        inst = nova_shapes.Instance(10, ['10.0.0.10'], [v6])
        files = {'v4': nova_shapes.filter_table([inst]),
                 'v6': nova_shapes.filter_table([inst], family=6),
                 'v6-gone': nova_shapes.filter_table([], family=6)}
        for key, text in files.items():
            with open(os.path.join(tmp, key), 'w') as f:
                f.write(text)
        common = ['--connect', 'test://' + os.path.join(tmp, 'node.xml'),
                  '--nwfilter-dir', os.path.join(tmp, 'nwfilter'),
                  '--iptables-save', os.path.join(tmp, 'v4')]
        ok = runner.run_cli(common + ['--ip6tables-save',
                                      os.path.join(tmp, 'v6')])
        gone = runner.run_cli(common + ['--ip6tables-save',
                                        os.path.join(tmp, 'v6-gone')])
        self.assertEqual(check.OK, ok[0], ok[1])
        self.assertEqual(check.CRITICAL, gone[0])
        self.assertIn('%s: no jump in nova-compute-local' % v6, gone[1])

    def test_console_entry_reads_the_ruleset_from_stdin(self):
        with open(runner.data('after-restart.rules'), 'rb') as f:
            rules = f.read()
        proc = subprocess.Popen(
            [sys.executable, '-m', 'nova_sgfix.audit.cli',
             '--connect', NODE, '--nwfilter-dir', NWFILTERS,
             '--iptables-save', '-', '-v'],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        out, err = proc.communicate(rules)
        lines = out.decode('utf-8').splitlines()
        self.assertEqual(check.CRITICAL, proc.returncode, err)
        self.assertTrue(lines[0].startswith('CRITICAL: '))
        self.assertEqual(4, len(lines))
        self.assertTrue(lines[3].startswith('OK instance-00000003 '))
