"""The OSSN-0022 paths on the bed, as the advisory's steps (issue 11).

Every step goes through nova's REST API; every cell is decided by real TCP
probes (one try, short timeout) from the peer (inside the allowed CIDR) and
from the outsider, and by whether the kernel holds the instance's chain.
"""

from __future__ import print_function

import re
import time

from tests.servicebed import hypervisor

GROUP = 'bed-ssh'

#: path -> (state before the restart, what to do after it)
PATHS = (
    ('running across restart', None, ()),
    # ACPI power-off: nova's clean-shutdown branch of the soft reboot.
    ('  then soft reboot', None, ({'reboot': {'type': 'SOFT'}}, 'ACTIVE')),
    ('stopped, soft reboot', 'stop', ({'reboot': {'type': 'SOFT'}},
                                      'ACTIVE')),
    ('paused, unpause', 'pause', ({'unpause': None}, 'ACTIVE')),
    ('stopped, rescue', 'stop', ({'rescue': {}}, 'RESCUE')),
    ('  then unrescue', None, ({'unrescue': None}, 'ACTIVE')),
)
BEFORE = {'stop': ({'os-stop': None}, 'SHUTOFF'),
          'pause': ({'pause': None}, 'PAUSED')}


def wait_guest_up(bed, ip, timeout=180):
    """The peer may always reach tcp/22: that is the guest being up."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if bed.reachable(bed.peer, ip, 22, timeout=2):
            return True
        time.sleep(2)
    return False


def probe(case, bed, server_id):
    ip = case.fixed_ip(server_id)
    up = wait_guest_up(bed, ip)
    # The chain is <binary_name>-inst-<id>; binary_name is this script's.
    chain = re.compile(r'^:\S+-inst-%d ' % case.instance_id(server_id), re.M)
    return {
        'guest_up': up,
        'outsider_22': bed.reachable(bed.outsider, ip, 22),
        'peer_80': bed.reachable(bed.peer, ip, 80),
        'chain': bool(chain.search(bed.iptables_save())),
    }


def run(case, bed, log):
    case.create_security_group(GROUP, 22, hypervisor.ALLOWED_CIDR)
    servers = {}
    for number, (path, _before, _after) in enumerate(PATHS):
        if path.startswith(' '):
            continue
        servers[path] = case.boot('bed-%d' % number, GROUP)
    for server_id in servers.values():
        case.wait_status(server_id, 'ACTIVE')
    results = []
    final = {}
    for path, server_id in sorted(servers.items()):
        cell = probe(case, bed, server_id)
        log('before restart: %s %s' % (path, cell))
        if not cell['guest_up'] or cell['outsider_22']:
            raise AssertionError('%s: guest not up or open before the '
                                 'restart: %s' % (path, cell))
    for path, before, _after in PATHS:
        if before:
            body, status = BEFORE[before]
            case.action(servers[path], body)
            case.wait_status(servers[path], status)
    log('restarting nova-compute')
    case.restart_compute()
    last = None
    for path, _before, after in PATHS:
        server_id = servers.get(path, last)
        last = server_id
        started = time.time()
        if after:
            body, status = after
            case.action(server_id, body)
            case.wait_status(server_id, status)
        cell = probe(case, bed, server_id)
        cell['path'] = path
        cell['seconds'] = int(time.time() - started)
        cell['exposed'] = cell['outsider_22'] or cell['peer_80']
        log('after restart: %s' % cell)
        results.append(cell)
        final[server_id] = cell
    audit = audit_host(case, servers, final)
    log('audit: %s' % audit)
    return results, audit


def audit_host(case, servers, final):
    """nova-sgfix-audit on the bed's real libvirtd and kernel rules.

    Run once the paths are done, with every guest in its final state: for
    each server, the audit's verdict beside what the probes found.
    """
    from nova.network import linux_net
    from nova_sgfix.audit import check
    from nova_sgfix.audit import cli
    args = cli.build_parser().parse_args(
        ['--binary-name', linux_net.binary_name])
    report = cli.run(args)
    by_name = dict((r.name, check.STATUS_NAMES[r.verdict])
                   for r in report.results)
    guests = {}
    for path, server_id in servers.items():
        name = 'instance-%08x' % case.instance_id(server_id)
        guests[path] = {'verdict': by_name.get(name, 'not listed'),
                        'exposed': final[server_id]['exposed']}
    return {'status': check.STATUS_NAMES[report.status], 'guests': guests}
