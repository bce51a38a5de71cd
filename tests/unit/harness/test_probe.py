"""probe.py on its own, inside one bare namespace (loopback only)."""

from __future__ import absolute_import

import json
import os
import signal
import sys
import time

from tests.functional.harness import netns
from tests.functional.harness import process
from tests.unit.harness import base


def run_probe(ns, args):
    _rc, out, _err = netns.run(
        ns, [sys.executable, process.PROBE_SCRIPT] + [str(a) for a in args])
    return json.loads(out.strip().splitlines()[-1])


class ProbeScriptTest(base.NamespaceTestCase):

    def setUp(self):
        super(ProbeScriptTest, self).setUp()
        self.ns = netns.create('probe')
        self.addCleanup(netns.delete, self.ns)

    def start_listener(self, token, port):
        listener = process.ProbeProcess(self.ns, ['listen', '--token', token,
                                                  port])
        self.addCleanup(listener.kill)
        self.assertEqual('READY %d\n' % port, listener.first_line(5))
        return listener

    def test_open_needs_the_listeners_token(self):
        self.start_listener('right', 5000)
        results = run_probe(self.ns, ['probe', '--token', 'right',
                                      '127.0.0.1:5000', '127.0.0.1:5001'])
        self.assertEqual(['OPEN', 'CLOSED'], [r['result'] for r in results])
        self.assertEqual('refused', results[1]['detail'])
        wrong = run_probe(self.ns, ['probe', '--token', 'wrong',
                                    '127.0.0.1:5000'])
        self.assertEqual('CLOSED', wrong[0]['result'])

    def test_targets_are_probed_in_parallel(self):
        # SYNs to 192.0.2.99 leave v0 for a MAC nobody has and are lost,
        # so each connect times out; three must not cost three timeouts.
        netns.run(self.ns, ['ip', '-batch', '-'], process_input='\n'.join([
            'link add v0 type veth peer name v1', 'link set v0 up',
            'link set v1 up', 'addr add 192.0.2.1/24 dev v0',
            'neigh add 192.0.2.99 lladdr 02:00:00:00:00:99 dev v0']) + '\n')
        start = time.time()
        results = run_probe(self.ns, ['probe', '--token', 't', '--timeout',
                                      '0.5'] +
                            ['192.0.2.99:%d' % p for p in (1, 2, 3)])
        self.assertEqual([('CLOSED', 'timeout')] * 3,
                         [(r['result'], r['detail']) for r in results])
        self.assertLess(time.time() - start, 1.4)

    def test_loop_stops_by_itself_after_max_attempts(self):
        summary = run_probe(self.ns, ['loop', '--token', 't', '--interval',
                                      '0.01', '--max-attempts', 4,
                                      '127.0.0.1:5002'])
        self.assertEqual((4, 0, 'max-attempts'),
                         (summary['attempts'], summary['successes'],
                          summary['stopped_by']))

    def test_loop_stops_by_itself_after_max_seconds(self):
        summary = run_probe(self.ns, ['loop', '--token', 't',
                                      '--max-seconds', '0.2',
                                      '127.0.0.1:5002'])
        self.assertEqual('max-seconds', summary['stopped_by'])

    def test_listener_exits_once_its_parent_is_gone(self):
        # sh starts the listener and exits at once: the listener is orphaned.
        token = 'orphan-%d' % os.getpid()
        shell = ('%s %s listen --parent $$ --token %s 5003 '
                 '>/dev/null 2>&1 &' % (sys.executable, process.PROBE_SCRIPT,
                                        token))
        netns.run(self.ns, ['sh', '-c', shell])
        self.addCleanup(self._kill_all_with, token)
        deadline = time.time() + 5
        while time.time() < deadline and base.processes_with(token):
            time.sleep(0.05)
        self.assertEqual([], base.processes_with(token))

    @staticmethod
    def _kill_all_with(token):
        for pid in base.processes_with(token):
            os.kill(pid, signal.SIGKILL)
