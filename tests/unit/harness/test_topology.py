"""Self-check of the packet topology with no nova rules in the host.

Before the harness can claim "port 80 is blocked by nova's chain", the
probes must be shown to tell OPEN from CLOSED at all: wide open without
rules, CLOSED exactly where a hand-written DROP applies.
"""

from __future__ import absolute_import

import subprocess
import time

from tests.functional.harness import netns
from tests.functional.harness import process
from tests.functional.harness import topology
from tests.unit.harness import base

ALL_OPEN = {('peer', 22): 'OPEN', ('peer', 80): 'OPEN',
            ('outsider', 22): 'OPEN', ('outsider', 80): 'OPEN'}


def drop_port(topo, port):
    netns.run(topo.host_ns, ['iptables', '-A', 'FORWARD', '-p', 'tcp',
                             '--dport', str(port), '-j', 'DROP'])


class TopologyTest(base.NamespaceTestCase):

    def test_both_ports_are_open_from_both_sources_without_rules(self):
        with topology.Topology([('vm1', None)]) as topo:
            self.assertEqual(ALL_OPEN, topo.reachability('vm1'))
            self.assertEqual('OPEN', topo.probe('outsider', 'vm1', 80))

    def test_a_forward_drop_closes_only_its_port(self):
        if not process.which('iptables'):
            self.skipTest('needs iptables')
        with topology.Topology([('vm1', None)]) as topo:
            drop_port(topo, 80)
            self.assertEqual(
                {('peer', 22): 'OPEN', ('peer', 80): 'CLOSED',
                 ('outsider', 22): 'OPEN', ('outsider', 80): 'CLOSED'},
                topo.reachability('vm1'))
            details = topo.probe_details('peer', 'vm1', [80], timeout=0.3)
            self.assertEqual('timeout', details[0]['detail'])

    def test_a_port_nobody_listens_on_is_closed(self):
        with topology.Topology([('vm1', None)]) as topo:
            self.assertEqual('CLOSED', topo.probe('peer', 'vm1', 81))

    def test_a_listener_without_our_token_does_not_count_as_open(self):
        with topology.Topology([('vm1', None)]) as topo:
            stranger = topo.spawn(topo.guests['vm1'].ns,
                                  ['listen', '--token', 'stranger', 8080])
            self.assertTrue(stranger.first_line(5).startswith('READY'))
            details = topo.probe_details('peer', 'vm1', [8080])
            self.assertEqual('CLOSED', details[0]['result'])
            self.assertIn('no token', details[0]['detail'])

    def test_each_guest_gets_its_own_address_and_listeners(self):
        with topology.Topology([('vm1', None), ('vm2', '192.0.2.20')],
                               ports=(22, 443)) as topo:
            self.assertEqual('192.0.2.10', topo.guests['vm1'].ip)
            self.assertEqual('192.0.2.20', topo.guests['vm2'].ip)
            vm3 = topo.add_guest('vm3', ports=(8000,))
            self.assertEqual('192.0.2.12', vm3.ip)
            for name in ('vm1', 'vm2'):
                self.assertEqual(
                    set(['OPEN']), set(topo.reachability(name).values()))
                self.assertEqual(4, len(topo.reachability(name)))
            self.assertEqual({('peer', 8000): 'OPEN',
                              ('outsider', 8000): 'OPEN'},
                             topo.reachability('vm3'))

    def test_guest_answers_ping_from_both_sources(self):
        if not process.which('ping'):
            self.skipTest('needs ping (Debian package iputils-ping)')
        with topology.Topology([('vm1', None)]) as topo:
            self.assertTrue(topo.ping('peer', 'vm1'))
            self.assertTrue(topo.ping('outsider', 'vm1'))

    def test_host_namespace_forwards_and_keeps_forward_policy_accept(self):
        with topology.Topology() as topo:
            _rc, out, _err = netns.run(topo.host_ns,
                                       ['sysctl', '-n', 'net.ipv4.ip_forward'])
            self.assertEqual('1', out.strip())
            if process.which('iptables'):
                _rc, out, _err = netns.run(topo.host_ns, ['iptables', '-S'])
                self.assertIn('-P FORWARD ACCEPT', out)

    def test_nothing_is_added_to_the_root_namespace(self):
        def root_links():
            out = subprocess.check_output(['ip', '-o', 'link', 'show'])
            return sorted(line.split(':')[1].strip()
                          for line in out.decode().splitlines())

        before = root_links()
        with topology.Topology([('vm1', None)]):
            self.assertEqual(before, root_links())
        self.assertEqual(before, root_links())


class ProbeLoopTest(base.NamespaceTestCase):

    def test_probe_loop_counts_successes_while_the_port_is_open(self):
        with topology.Topology([('vm1', None)]) as topo:
            with topology.ProbeLoop(topo, 'peer', 'vm1', 22) as loop:
                time.sleep(0.3)
            self.assertGreater(loop.attempts, 3)
            self.assertEqual(loop.attempts, loop.successes)
            self.assertEqual(loop.successes, len(loop.result['success_times']))
            self.assertEqual('signal', loop.result['stopped_by'])

    def test_probe_loop_counts_no_success_while_the_port_is_dropped(self):
        if not process.which('iptables'):
            self.skipTest('needs iptables')
        with topology.Topology([('vm1', None)]) as topo:
            drop_port(topo, 80)
            with topology.ProbeLoop(topo, 'outsider', 'vm1', 80,
                                    timeout=0.1) as loop:
                time.sleep(0.5)
            self.assertGreater(loop.attempts, 1)
            self.assertEqual(0, loop.successes)
            self.assertEqual(0, loop.result['connects'])

    def test_probe_loop_stops_by_itself_when_a_bound_is_reached(self):
        with topology.Topology([('vm1', None)]) as topo:
            with topology.ProbeLoop(topo, 'peer', 'vm1', 22, interval=0.01,
                                    max_attempts=5) as loop:
                time.sleep(0.5)
            self.assertEqual(5, loop.attempts)
            self.assertEqual('max-attempts', loop.result['stopped_by'])
            with topology.ProbeLoop(topo, 'peer', 'vm1', 22,
                                    max_seconds=0.2) as loop:
                time.sleep(0.5)
            self.assertEqual('max-seconds', loop.result['stopped_by'])
            self.assertLess(loop.result['stopped_at'] -
                            loop.result['started_at'], 0.4)
