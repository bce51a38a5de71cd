"""Which guest-starting paths leave a guest reachable, measured by packets.

OSSN-0022 (bug 1316822) is about traffic: each cell runs one libvirt path on
real nova and real iptables, then probes the guest by TCP from the peer
(inside the allowed CIDR) and the outsider. A second guest stays running: at
the restart its re-ensured filter is the new process's first
iptables-restore, which deletes every chain not re-registered. nova-sgfix
runs with its defaults, and again with the start-up resync off, so that a
chain missing before a path and present after it is that path's guard's work.
"""

from __future__ import absolute_import

import collections
import contextlib
import logging
import time

from tests.functional.harness import topology

SUBJECT = ('subject', '192.0.2.10')
BYSTANDER = ('bystander', '192.0.2.11')
#: the subject's security group: ssh and ICMP echo from the peers' CIDR
SSH_FROM_PEERS = [('tcp', 22, 22, topology.ALLOWED_CIDR),
                  ('icmp', -1, -1, topology.ALLOWED_CIDR)]
#: what the security group promises, in display order
EXPECTED = collections.OrderedDict([
    ('22/peer', 'OPEN'), ('22/outsider', 'CLOSED'),
    ('80/peer', 'CLOSED'), ('80/outsider', 'CLOSED'),
    ('icmp/peer', 'OPEN'), ('icmp/outsider', 'CLOSED')])
PROBE_TIMEOUT = 0.5
#: the blocked port the no-blink watches connect to, and from where
WATCHED = ('outsider', 80)
#: a blocked port drops the SYN, so each attempt costs the whole timeout;
#: a short one makes the loop dense (a local veth answers in microseconds)
LOOP_TIMEOUT = 0.02
LOOP_INTERVAL = 0.002
#: each watched operation runs this many times, each under a probe loop
WATCH_ROUNDS = 5
#: let a probe loop run this long after the watched operation returned
SETTLE_SECONDS = 0.2

Column = collections.namedtuple('Column', 'key title driver options')
COLUMNS = [
    Column('stock', 'stock LibvirtDriver', 'stock', {}),
    Column('sgfix', 'nova-sgfix', 'sgfix', {}),
    Column('sgfix-resync-off', 'nova-sgfix, resync off', 'sgfix',
           {'resync_on_start': False}),
]


# --- one function per path: everything up to the path, a checkpoint, the
# --- path itself. The checkpoint records the kernel's chain just before.

def soft_reboot_of_stopped_guest(host, guest, checkpoint):
    """The advisory's path: stopped across a restart, then soft-rebooted."""
    host.stop(guest)
    host.restart_compute()
    checkpoint()
    host.soft_reboot(guest)


def soft_reboot_of_running_guest(host, guest, checkpoint):
    """Running across the restart: re-ensured by the compute manager."""
    host.restart_compute()
    checkpoint()
    host.soft_reboot(guest)


def unpause_after_restart(host, guest, checkpoint):
    """Paused across the restart: not re-ensured, resumed with dom.resume()."""
    host.pause(guest)
    host.restart_compute()
    checkpoint()
    host.unpause(guest)


def rescue_of_stopped_guest(host, guest, checkpoint):
    """The API allows rescue from STOPPED; rescue calls _create_domain."""
    host.stop(guest)
    host.restart_compute()
    checkpoint()
    host.rescue(guest)


def unrescue_after_rescue(host, guest, checkpoint):
    """Unrescue of a guest rescued after the restart by unguarded code.

    The rescue runs with ``[sgfix] enabled = False`` in every column, so the
    guest reaches unrescue exactly as stock nova leaves it; otherwise the
    rescue's own guard would hide whether unrescue has one.
    """
    host.stop(guest)
    host.restart_compute()
    host.conf.config(enabled=False, group='sgfix')  # checked on each call
    host.rescue(guest)
    host.conf.config(enabled=host.sgfix_enabled, group='sgfix')
    checkpoint()
    host.unrescue(guest)


def hard_reboot_of_stopped_guest(host, guest, checkpoint):
    """The reference: the advisory's workaround, via the filtered path."""
    host.stop(guest)
    host.restart_compute()
    checkpoint()
    host.hard_reboot(guest)


Path = collections.namedtuple('Path', 'key title scenario')
PATHS = [
    Path('soft-reboot-stopped', 'soft reboot, stopped guest',
         soft_reboot_of_stopped_guest),
    Path('soft-reboot-running', 'soft reboot, running guest',
         soft_reboot_of_running_guest),
    Path('unpause', 'unpause, paused guest', unpause_after_restart),
    Path('rescue', 'rescue, stopped guest', rescue_of_stopped_guest),
    Path('unrescue', 'unrescue, rescued unguarded', unrescue_after_rescue),
    Path('hard-reboot', 'hard reboot (reference)',
         hard_reboot_of_stopped_guest),
]


def find(items, key):
    for item in items:
        if item.key == key:
            return item
    raise KeyError('unknown %s; known: %s'
                   % (key, ', '.join(item.key for item in items)))


@contextlib.contextmanager
def compute_host(column_key):
    """A topology and a nova-compute host whose iptables route it.

    Yields ``(topology, host, subject)``; the bystander guest is booted and
    stays running. Namespaces are deleted on any exit.
    """
    from tests.functional.harness import nova_host
    column = find(COLUMNS, column_key)
    driver_class = (nova_host.sgfix_driver_class if column.driver == 'sgfix'
                    else nova_host.stock_driver_class)
    with topology.Topology([SUBJECT, BYSTANDER]) as topo:
        with nova_host.NovaComputeHost(topo.host_ns, driver_class,
                                       **column.options) as host:
            subject = host.boot(SSH_FROM_PEERS, ip=SUBJECT[1])
            host.boot(SSH_FROM_PEERS, ip=BYSTANDER[1])
            yield topo, host, subject


@contextlib.contextmanager
def sgfix_messages():
    """nova-sgfix's INFO messages meanwhile: what its guards and resync did."""
    messages, logger = [], logging.getLogger('nova_sgfix')
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def probe(topo, timeout=PROBE_TIMEOUT):
    """{'22/peer': 'OPEN', ...} for the subject: TCP connects, ICMP echo."""
    found = topo.reachability(SUBJECT[0], timeout)
    result = collections.OrderedDict()
    for label in EXPECTED:
        what, source = label.split('/')
        if what == 'icmp':
            answered = topo.ping(source, SUBJECT[0])
            result[label] = 'OPEN' if answered else 'CLOSED'
        else:
            result[label] = found[(source, int(what))]
    return result


def verdict(record):
    """EXPOSED, BLOCKED (an allowed port closed), NOT RUNNING or filtered."""
    for word, seen in (('ERROR', record['error']),
                       ('NOT RUNNING', record['power_state'] != 'running'),
                       ('EXPOSED', record['exposed']),
                       ('BLOCKED', record['blocked'])):
        if seen:
            return word
    return 'filtered'


def run_cell(path_key, column_key, timeout=PROBE_TIMEOUT):
    """Run one path on one column; a JSON-ready record of what was seen."""
    from nova.compute import power_state
    path, column = find(PATHS, path_key), find(COLUMNS, column_key)
    record = {'path': path.key, 'path_title': path.title,
              'column': column.key, 'column_title': column.title,
              'sgfix': column.driver == 'sgfix',
              'chain_before': None, 'chain_after': None, 'power_state': None,
              'reachability': {}, 'exposed': [], 'blocked': [],
              'soft_reboot_waits': 0, 'sgfix_log': [], 'error': None}
    try:
        with sgfix_messages() as messages, compute_host(column.key) as (
                topo, host, guest):
            def checkpoint():
                record['chain_before'] = host.is_filtered(guest)
            path.scenario(host, guest, checkpoint)
            record['sgfix_log'] = list(messages)
            record['chain_after'] = host.is_filtered(guest)
            record['power_state'] = power_state.STATE_MAP.get(
                host.power_state(guest), 'unknown')
            record['soft_reboot_waits'] = len(host.soft_reboot_sleeps)
            record['reachability'] = probe(topo, timeout)
    except Exception as exc:
        record['error'] = '%s: %s' % (type(exc).__name__, exc)
    reach = record['reachability']
    record['exposed'] = [label for label, want in EXPECTED.items()
                         if want == 'CLOSED' and reach.get(label) == 'OPEN']
    record['blocked'] = [label for label, want in EXPECTED.items()
                         if want == 'OPEN' and reach.get(label) == 'CLOSED']
    record['verdict'] = verdict(record)
    return record


# --- no blink: a probe loop to a blocked port while an operation runs ---

def fresh_domain_id(host, guest):
    """Give the subject's domain a new ID, outside the watch.

    nova's fake libvirt numbers a domain only when it is defined: a second
    soft reboot would wait, then fall back to a hard reboot, which unfilters
    and refilters while a real guest is down (the test listener is not).
    """
    host.hard_reboot(guest)


def restart_then_soft_reboot(host, guest):
    """The start-up resync, then a guard that rebuilds a live chain."""
    host.restart_compute()
    host.soft_reboot(guest)


def pause_restart_unpause(host, guest):
    """Paused across the restart (resync), then unpaused (guard)."""
    host.pause(guest)
    host.restart_compute()
    host.unpause(guest)


Watch = collections.namedtuple('Watch', 'key title column reset operation')
WATCHES = [
    Watch('soft-reboot-running', 'restart + soft reboot, running guest',
          'sgfix', fresh_domain_id, restart_then_soft_reboot),
    Watch('unpause', 'pause + restart + unpause', 'sgfix', None,
          pause_restart_unpause),
    Watch('unpause-stock', 'pause + restart + unpause', 'stock', None,
          pause_restart_unpause),
]
COUNTS = ('attempts', 'connects', 'successes')


def watch_once(topo, operation):
    """One probe loop around ``operation()``; the loop's summary."""
    with topology.ProbeLoop(topo, WATCHED[0], SUBJECT[0], WATCHED[1],
                            interval=LOOP_INTERVAL,
                            timeout=LOOP_TIMEOUT) as loop:
        operation()
        time.sleep(SETTLE_SECONDS)
    return loop.result


def run_watch(key, rounds=WATCH_ROUNDS):
    """Probe WATCHED in a tight loop around each round of one operation."""
    watch = find(WATCHES, key)
    column = find(COLUMNS, watch.column)
    record = {'watch': watch.key, 'rounds': rounds,
              'title': '%d x (%s)' % (rounds, watch.title),
              'column': column.key, 'column_title': column.title,
              'sgfix': column.driver == 'sgfix',
              'target': '%d/%s' % (WATCHED[1], WATCHED[0]),
              'soft_reboot_waits': 0, 'error': None}
    record.update((name, 0) for name in COUNTS)
    try:
        with compute_host(column.key) as (topo, host, guest):
            for _round in range(rounds):
                if watch.reset:
                    watch.reset(host, guest)
                waits = len(host.soft_reboot_sleeps)
                result = watch_once(
                    topo, lambda: watch.operation(host, guest))
                for name in COUNTS:
                    record[name] += result[name]
                record['soft_reboot_waits'] += (len(host.soft_reboot_sleeps)
                                                - waits)
    except Exception as exc:
        record['error'] = '%s: %s' % (type(exc).__name__, exc)
    record['blinked'] = record['connects'] > 0
    return record
