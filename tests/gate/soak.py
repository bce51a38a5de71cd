"""A bounded soak on the gate's cloud, with nova-sgfix configured.

Guests boot in a security group that allows tcp/22 from the peer's CIDR.
Each round takes every guest half-way through an operation (stop, pause,
rescue), restarts nova-compute (kill -9 and a clean SIGTERM in turn: a
real process, started again from the same command line), finishes the
operations (start, unpause, unrescue) or reboots (soft, hard), all through
nova's API with python-novaclient, and probes each guest: the peer must get
tcp/22, the outsider must not, nor the peer tcp/80. Stops after ROUNDS
rounds or LIMIT seconds. Then nova-sgfix-audit on the host must say OK,
every guest must be ACTIVE with no task state, and nova-compute's log must
hold no traceback through nova_sgfix. Prints the counts.
"""

from __future__ import print_function

import os
import re
import subprocess
import time

from tests.gate import proc
from tests.servicebed import hypervisor
from tests.servicebed import scenarios

GUESTS = 2
GROUP = 'gate-soak'
#: (name, first half before the restart or None, second half after it)
OPERATIONS = (
    ('stop/start', ('stop', 'SHUTOFF'), ('start', 'ACTIVE')),
    ('pause/unpause', ('pause', 'PAUSED'), ('unpause', 'ACTIVE')),
    ('rescue/unrescue', ('rescue', 'RESCUE'), ('unrescue', 'ACTIVE')),
    ('soft reboot', None, ('reboot', 'ACTIVE')),
    ('hard reboot', None, ('reboot_hard', 'ACTIVE')),
)


def client():
    from novaclient.v1_1 import client as nova_client
    return nova_client.Client('admin', 'admin', 'admin',
                              'http://127.0.0.1:8774/v2/', no_cache=True)


def wait_status(nova, server_id, status, timeout=300):
    deadline = time.time() + timeout
    while True:
        server = nova.servers.get(server_id)
        task = getattr(server, 'OS-EXT-STS:task_state', None)
        if server.status == status and not task:
            return server
        if server.status == 'ERROR' or time.time() > deadline:
            raise AssertionError('server %s is %s (task %s), wanted %s' % (
                server.name, server.status, task, status))
        time.sleep(2)


def act(nova, server_id, action):
    server = nova.servers.get(server_id)
    if action == 'reboot':
        server.reboot('SOFT')
    elif action == 'reboot_hard':
        server.reboot('HARD')
    else:
        getattr(server, action)()


def fixed_ip(server):
    for ips in server.addresses.values():
        for ip in ips:
            return ip['addr']


def sgfix_tracebacks(text):
    """(tracebacks, tracebacks through nova_sgfix) in a service's log."""
    blocks = text.split('Traceback (most recent call last)')[1:]
    ours = [b for b in blocks if 'nova_sgfix' in b[:4000]]
    return len(blocks), len(ours)


def audit(cloud):
    p = subprocess.Popen(
        [cloud.bin('python'), '-c',
         'import sys; from nova_sgfix.audit import cli; sys.exit(cli.main())',
         '--binary-name', 'nova-compute'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cloud.top)
    out = p.communicate()[0].decode('utf-8', 'replace').strip()
    return p.returncode, out


def run(cloud, bed, image, rounds, log, limit=900):
    t0 = time.time()
    nova = client()
    group = nova.security_groups.create(GROUP, 'gate soak')
    nova.security_group_rules.create(group.id, 'tcp', 22, 22,
                                     hypervisor.ALLOWED_CIDR)
    flavor = nova.flavors.find(name='gate.tiny')
    ids = [nova.servers.create('gate-soak-%d' % n, image, flavor,
                               security_groups=[GROUP]).id
           for n in range(GUESTS)]
    counts = {'operations': GUESTS, 'restarts': 0, 'kill -9': 0,
              'probes': 0, 'exposures': 0, 'guest not up': 0}
    for server_id in ids:
        wait_status(nova, server_id, 'ACTIVE')

    def probe_all(when):
        for server_id in ids:
            server = nova.servers.get(server_id)
            ip = fixed_ip(server)
            up = scenarios.wait_guest_up(bed, ip, timeout=120)
            outsider = bed.reachable(bed.outsider, ip, 22)
            peer_80 = bed.reachable(bed.peer, ip, 80)
            counts['probes'] += 3
            counts['guest not up'] += 0 if up else 1
            exposed = outsider or peer_80
            counts['exposures'] += int(outsider) + int(peer_80)
            log('soak %s: %s %s up=%s outsider22=%s peer80=%s' % (
                when, server.name, ip, up, outsider, peer_80))
            if exposed or not up:
                print('soak: %s after %s: up=%s outsider tcp/22=%s '
                      'peer tcp/80=%s' % (server.name, when, up, outsider,
                                          peer_80))

    probe_all('boot')
    done = 0
    for number in range(rounds):
        if time.time() - t0 > limit:
            print('soak: time limit (%d s) reached after %d rounds' % (
                limit, done))
            break
        ops = [OPERATIONS[(number + k) % len(OPERATIONS)]
               for k in range(GUESTS)]
        for server_id, (_name, first, _second) in zip(ids, ops):
            if first:
                act(nova, server_id, first[0])
                counts['operations'] += 1
        for server_id, (_name, first, _second) in zip(ids, ops):
            if first:
                wait_status(nova, server_id, first[1])
        sig = 9 if number % 2 == 0 else 15
        proc.restart(cloud.run_dir, 'n-cpu', sig)
        counts['restarts'] += 1
        counts['kill -9'] += int(sig == 9)
        for server_id, (_name, _first, second) in zip(ids, ops):
            act(nova, server_id, second[0])
            counts['operations'] += 1
        for server_id, (_name, _first, second) in zip(ids, ops):
            wait_status(nova, server_id, second[1])
        probe_all('round %d (%s, %s)' % (
            number + 1, 'kill -9' if sig == 9 else 'SIGTERM',
            ', '.join(op[0] for op in ops)))
        done += 1
        print('soak: round %d: nova-compute %s, %s: %d guests probed' % (
            number + 1, 'kill -9' if sig == 9 else 'stopped (SIGTERM)',
            ', '.join(op[0] for op in ops), GUESTS))

    status, report = audit(cloud)
    servers = nova.servers.list()
    stuck = [s.name for s in servers
             if s.status != 'ACTIVE' or
             getattr(s, 'OS-EXT-STS:task_state', None)]
    lost = GUESTS - len([s for s in servers if s.id in ids])
    with open(os.path.join(cloud.run_dir, 'n-cpu.log')) as f:
        tracebacks, ours = sgfix_tracebacks(f.read())
    print('soak: %d rounds in %d s: operations=%d restarts=%d '
          '(kill -9: %d) probes=%d exposures=%d guests-not-up=%d '
          'lost=%d stuck=%d' % (
              done, time.time() - t0, counts['operations'],
              counts['restarts'], counts['kill -9'], counts['probes'],
              counts['exposures'], counts['guest not up'], lost,
              len(stuck)))
    print('soak: nova-sgfix-audit (exit %d): %s' % (
        status, report.splitlines()[0] if report else '(no output)'))
    print('soak: nova-compute log: %d tracebacks, %d through nova_sgfix' % (
        tracebacks, ours))
    for server_id in ids:
        nova.servers.delete(server_id)
    ok = (done == rounds and status == 0 and counts['exposures'] == 0 and
          counts['guest not up'] == 0 and not lost and not stuck and
          ours == 0 and re.match(r'OK\b', report or '') is not None)
    print('soak: %s' % ('OK' if ok else 'FAILED'))
    return ok
