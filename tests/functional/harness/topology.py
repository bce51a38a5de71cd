"""Guests, a peer and an outsider in namespaces, routed by a "host" namespace.

OSSN-0022 is about packets: a guest whose security-group chain is gone is
reachable from anywhere. These namespaces let the tests prove that with real
TCP connects. nova's IptablesManager writes its rules into ``host_ns``; every
guest, the peer (inside the allowed 198.51.100.0/24) and the outsider
(203.0.113.0/24) hang off it by a veth pair, so all their traffic crosses the
host's FORWARD chain. Only documentation addresses are used, and nothing is
ever created in the root namespace: every veth is made inside ``host_ns``
with its peer end placed straight into the other namespace.
"""

from __future__ import absolute_import
from __future__ import print_function

import binascii
import itertools
import json
import logging
import os
import re
import time

from tests.functional.harness import netns
from tests.functional.harness import process
from tests.functional.harness import signals

LOG = logging.getLogger(__name__)

GATEWAY = '192.0.2.1'
FIRST_GUEST_HOST = 10
#: source name -> (its address, the host's address), both in a /24.
SOURCES = {'peer': ('198.51.100.10', '198.51.100.1'),
           'outsider': ('203.0.113.10', '203.0.113.1')}
ALLOWED_CIDR = '198.51.100.0/24'
DEFAULT_PORTS = (22, 80)
#: raised by SIGTERM inside a topology's with-block (Ctrl-C: KeyboardInterrupt)
Terminated = signals.Terminated


class TopologyError(Exception):
    """The topology could not be built, probed or torn down as asked."""


class Guest(object):
    """One guest: its namespace, fixed IP, listening ports and host veth."""

    def __init__(self, name, ns, ip, ports, host_if):
        self.name, self.ns, self.ip = name, ns, ip
        self.ports, self.host_if = tuple(ports), host_if


class Topology(object):
    """Context manager owning every namespace and listener it makes.

    :param guests: ``(name, ip)`` pairs (``ip`` may be None) to add on entry.
    :param ports: ports each guest listens on, by default 22 and 80.
    """

    ready_timeout = 5.0
    grace = 3.0

    def __init__(self, guests=(), ports=DEFAULT_PORTS):
        self.ports = tuple(ports)
        self.token = binascii.hexlify(os.urandom(8)).decode('ascii')
        self.host_ns = None
        self.sources = {}
        self.guests = {}
        self.namespace_names = []
        self._initial_guests = list(guests)
        self._guest_index = itertools.count()
        self._processes = []
        self._signals = signals.RaiseOnSignals()

    # -- life cycle -------------------------------------------------------

    def __enter__(self):
        self._signals.install()
        try:
            self._build()
        except BaseException:
            self.teardown(raise_errors=False)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.teardown(raise_errors=exc_type is None)
        return False

    def _build(self):
        start = time.time()
        netns.reap_orphans()
        self.host_ns = self._new_namespace('host')
        netns.run(self.host_ns, ['sysctl', '-q', '-w',
                                 'net.ipv4.ip_forward=1'])
        for src in sorted(SOURCES):
            self._add_source(src)
        for name, ip in self._initial_guests:
            self.add_guest(name, ip)
        LOG.info('topology up in %.2fs: host %s, guests %s', time.time() -
                 start, self.host_ns, sorted(self.guests))

    def _new_namespace(self, label):
        name = netns.create(label)
        self.namespace_names.append(name)
        return name

    def _veth(self, host_if, other_ns):
        """A veth made inside host_ns; the other end is eth0 of other_ns."""
        netns.run(self.host_ns, ['ip', 'link', 'add', host_if, 'type',
                                 'veth', 'peer', 'name', 'eth0',
                                 'netns', other_ns])

    def _add_source(self, src):
        ip, host_ip = SOURCES[src]
        ns = self._new_namespace(src)
        host_if = 'h-' + src[:8]
        self._veth(host_if, ns)
        _ip_batch(self.host_ns, ['addr add %s/24 dev %s' % (host_ip, host_if),
                                 'link set %s up' % host_if])
        _ip_batch(ns, ['addr add %s/24 dev eth0' % ip, 'link set eth0 up',
                       'route add default via %s' % host_ip])
        self.sources[src] = ns

    def add_guest(self, name, ip=None, ports=None):
        """Add a guest whose listeners are up once this returns.

        :param ip: its fixed IP in 192.0.2.0/24; the next free one if None.
        :raises TopologyError: if a listener does not start.
        """
        if name in self.guests:
            raise TopologyError('guest %s exists already' % name)
        index = next(self._guest_index)
        ip = ip or '192.0.2.%d' % (FIRST_GUEST_HOST + index)
        ports = tuple(ports or self.ports)
        ns = self._new_namespace('g-' + re.sub(r'[^A-Za-z0-9_.-]', '_', name))
        host_if = 'hg%d' % index
        self._veth(host_if, ns)
        _ip_batch(self.host_ns, ['addr add %s/32 dev %s' % (GATEWAY, host_if),
                                 'link set %s up' % host_if,
                                 'route add %s/32 dev %s' % (ip, host_if)])
        _ip_batch(ns, ['addr add %s/32 dev eth0' % ip, 'link set eth0 up',
                       'route add %s/32 dev eth0' % GATEWAY,
                       'route add default via %s dev eth0' % GATEWAY])
        self.guests[name] = Guest(name, ns, ip, ports, host_if)
        self._start_listener(self.guests[name])
        return self.guests[name]

    def _start_listener(self, guest):
        proc = self.spawn(guest.ns, ['listen', '--token', self.token,
                                     '--name', guest.name] +
                          list(guest.ports))
        line = proc.first_line(self.ready_timeout)
        if line is None or not line.startswith(process.READY):
            self.reap(proc)
            raise TopologyError('listener of guest %s on ports %s did not '
                                'start: %s' % (guest.name, guest.ports,
                                               proc.stderr().strip()))

    def spawn(self, ns, args):
        """Start probe.py in ns, tracked so teardown kills it."""
        LOG.debug('starting probe.py %s in %s', args[0], ns)
        proc = process.ProbeProcess(ns, args)
        self._processes.append(proc)
        return proc

    def reap(self, proc):
        """Kill proc if still running and stop tracking it."""
        proc.kill()
        if proc in self._processes:
            self._processes.remove(proc)

    def process_ids(self):
        return [proc.pid for proc in self._processes]

    def teardown(self, raise_errors=True):
        """Kill our processes, delete our namespaces, restore signals."""
        self._signals.defer()
        try:
            for proc in reversed(self._processes):
                try:
                    proc.kill()
                except Exception:
                    LOG.exception('could not kill probe.py pid %d', proc.pid)
            self._processes = []
            for name in reversed(self.namespace_names):
                netns.delete(name)
            left = set(self.namespace_names) & set(netns.list_namespaces())
        finally:
            self._signals.restore()
        LOG.info('topology down: %d namespaces deleted',
                 len(self.namespace_names) - len(left))
        if left:
            LOG.error('namespaces left behind: %s', sorted(left))
            if raise_errors:
                raise TopologyError('namespaces left: %s' % sorted(left))

    # -- probes -----------------------------------------------------------

    def source_ns(self, src):
        """Namespace of 'peer' or 'outsider'."""
        if src not in self.sources:
            raise TopologyError('unknown source %r, expected one of %s'
                                % (src, sorted(self.sources)))
        return self.sources[src]

    def guest(self, name):
        """The Guest called name (namespace, ip, ports, host_if)."""
        if name not in self.guests:
            raise TopologyError('unknown guest %r, expected one of %s'
                                % (name, sorted(self.guests)))
        return self.guests[name]

    def _start_probes(self, src, guest_name, ports, timeout):
        ip = self.guest(guest_name).ip
        targets = ['%s:%d' % (ip, port) for port in ports]
        return self.spawn(self.source_ns(src),
                          ['probe', '--token', self.token,
                           '--timeout', timeout] + targets)

    def _results(self, proc, timeout):
        try:
            rc = proc.wait(timeout + self.grace)
            out, err = proc.stdout(), proc.stderr()
        finally:
            self.reap(proc)
        if rc is None:
            raise TopologyError('probe still running after %.1fs, killed'
                                % (timeout + self.grace))
        if rc != 0:
            raise TopologyError('probe exited %s: %s' % (rc, err.strip()))
        try:
            return json.loads(out)
        except ValueError:
            raise TopologyError('probe printed no results: %r %r'
                                % (out, err))

    def probe_details(self, src, guest_name, ports, timeout=1.0):
        """One result dict per port (result, detail, seconds), in parallel."""
        proc = self._start_probes(src, guest_name, ports, timeout)
        return self._results(proc, timeout)

    def probe(self, src, guest_name, port, timeout=1.0):
        """'OPEN' if src's TCP connect gets our listener's token."""
        return self.probe_details(src, guest_name, [port],
                                  timeout)[0]['result']

    def reachability(self, guest_name, timeout=0.5):
        """{(src, port): 'OPEN'|'CLOSED'} for every source and guest port."""
        ports = self.guest(guest_name).ports
        procs = [(src, self._start_probes(src, guest_name, ports, timeout))
                 for src in sorted(self.sources)]
        matrix = {}
        for src, proc in procs:
            for res in self._results(proc, timeout):
                matrix[(src, res['port'])] = res['result']
        return matrix

    def ping(self, src, guest_name):
        """True if one ICMP echo from src to the guest is answered."""
        if not process.which('ping'):
            raise TopologyError('ping not found: install iputils-ping')
        rc, _out, _err = netns.run(
            self.source_ns(src),
            ['ping', '-n', '-c1', '-W1', self.guest(guest_name).ip],
            check=False)
        return rc == 0


def _ip_batch(ns, commands):
    netns.run(ns, ['ip', '-batch', '-'],
              process_input='\n'.join(commands) + '\n')


class ProbeLoop(object):
    """Connect src -> guest:port again and again until the block ends.

    Proves that no packet slips through to a blocked port while rules are
    re-applied (Neutron's test_preventing_firewall_blink). Bounded by
    ``max_attempts`` and ``max_seconds`` so it stops by itself; the topology
    kills it on teardown. After the block, ``result`` holds the loop's
    summary: attempts, connects, successes, their times, started_at,
    stopped_at (``time.time()`` values) and stopped_by.
    """

    def __init__(self, topology, src, guest_name, port, interval=0.02,
                 timeout=0.2, max_attempts=1500, max_seconds=30.0):
        self.topology = topology
        self.args = ['loop', '--token', topology.token, '--timeout', timeout,
                     '--interval', interval, '--max-attempts', max_attempts,
                     '--max-seconds', max_seconds,
                     '%s:%d' % (topology.guest(guest_name).ip, port)]
        self.src, self.timeout = src, timeout
        self.result = None
        self._proc = None

    def __enter__(self):
        self._proc = self.topology.spawn(
            self.topology.source_ns(self.src), self.args)
        line = self._proc.first_line(self.topology.ready_timeout)
        if line is None or not line.startswith(process.READY):
            self.topology.reap(self._proc)
            raise TopologyError('probe loop did not start: %s'
                                % self._proc.stderr().strip())
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self.topology.reap(self._proc)
        return False

    @property
    def attempts(self):
        return self.result['attempts']

    @property
    def successes(self):
        return self.result['successes']

    def stop(self):
        """Ask the loop to finish its attempt and report; returns result."""
        proc = self._proc
        try:
            proc.terminate()
            rc = proc.wait(self.timeout + self.topology.grace)
            out, err = proc.stdout(), proc.stderr()
        finally:
            self.topology.reap(proc)
        lines = out.strip().splitlines()
        if rc != 0 or not lines:
            raise TopologyError('probe loop exited %s: %s' % (rc, err))
        self.result = json.loads(lines[-1])
        return self.result
