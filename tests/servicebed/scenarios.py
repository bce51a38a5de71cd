"""The OSSN-0022 paths on the bed, as the advisory's steps (issue 11).

Every step goes through nova's REST API; every cell is decided by real TCP
probes (one try, short timeout) from the peer (inside the allowed CIDR) and
from the outsider, and by whether the kernel holds the instance's chain.

Three kinds of rows:

* ``PATHS``: a guest is put into a state before the restart (stopped,
  paused, ...) and an API action starts it after the restart;
* ``RESTART_ROWS``: the restart itself, for instances nova's start-up loop
  leaves out or treats apart: one deleted through the API while
  nova-compute is stopped (its domain keeps running) and one in ERROR;
* ``INIT_ROW``: a second restart in which ``_init_instance`` raises for one
  instance in the middle of the loop (``defer_iptables_apply = True``), so
  the compute service does not start; every running guest is probed.
"""

from __future__ import print_function

import logging
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
    ('stopped, start (power on)', 'stop', ({'os-start': None}, 'ACTIVE')),
    ('stopped, hard reboot', 'stop', ({'reboot': {'type': 'HARD'}},
                                      'ACTIVE')),
)
BEFORE = {'stop': ({'os-stop': None}, 'SHUTOFF'),
          'pause': ({'pause': None}, 'PAUSED'),
          'error': ({'os-resetState': {'state': 'error'}}, 'ERROR')}

DELETED = 'deleted via API while down'
ERROR = 'ERROR (reset-state), running'
RESTART_ROWS = (DELETED, ERROR)
INIT_ROW = 'next restart: init raises'
ROWS = tuple(p for p, _b, _a in PATHS) + RESTART_ROWS + (INIT_ROW,)

#: what nova-sgfix logs for a chain it keeps for a guest nova left out
ORPHAN_WARNING = 'Kept the security group chain of instance %d '


class Warnings(logging.Handler):
    """nova-sgfix's WARNING messages, as its operators would read them."""

    def __init__(self):
        logging.Handler.__init__(self, logging.WARNING)
        self.messages = []

    def emit(self, record):
        if record.name.startswith('nova_sgfix'):
            try:
                self.messages.append(record.getMessage())
            except Exception as exc:
                self.messages.append('unformattable: %s' % exc)


def wait_guest_up(bed, ip, timeout=180):
    """The peer may always reach tcp/22: that is the guest being up."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if bed.reachable(bed.peer, ip, 22, timeout=2):
            return True
        time.sleep(2)
    return False


class Guest(object):
    """A server as the bed knows it, also once nova's database forgot it."""

    def __init__(self, case, row, server_id):
        self.row = row
        self.server_id = server_id
        self.id = case.instance_id(server_id)
        self.ip = case.fixed_ip(server_id)
        self.domain = 'instance-%08x' % self.id


def probe_all(bed, guests):
    """Each guest's cell: up, both forbidden probes, its chain.

    The forbidden probes of every guest run at once (one try each).
    """
    ups = [wait_guest_up(bed, guest.ip) for guest in guests]
    targets = []
    for guest in guests:
        targets += [(bed.outsider, guest.ip, 22), (bed.peer, guest.ip, 80)]
    answers = bed.reachable_all(targets)
    saved = bed.iptables_save()
    cells = []
    for number, guest in enumerate(guests):
        # The chain is <binary_name>-inst-<id>; binary_name is the script's.
        chain = re.compile(r'^:\S+-inst-%d ' % guest.id, re.M)
        cell = {'guest_up': ups[number],
                'outsider_22': answers[2 * number],
                'peer_80': answers[2 * number + 1],
                'chain': bool(chain.search(saved))}
        cell['exposed'] = cell['outsider_22'] or cell['peer_80']
        cells.append(cell)
    return cells


def probe(bed, guest):
    return probe_all(bed, [guest])[0]


def refused_cell(case, guest, status):
    """The cell of an action the API refused: the server must be unchanged.

    From Icehouse on the API answers a soft reboot of a stopped server with
    409 (``vm_states.ALLOW_SOFT_REBOOT``); the guest stays shut off, so
    there is nothing to probe.
    """
    server = case.api.get_server(guest.server_id)
    return {'refused': status, 'status': server['status'],
            'guest_up': False, 'exposed': False, 'chain': None}


def run(case, bed, log):
    warnings = Warnings()
    logging.getLogger().addHandler(warnings)
    try:
        return _run(case, bed, log, warnings)
    finally:
        logging.getLogger().removeHandler(warnings)


def _boot_all(case, bed, log):
    case.create_security_group(GROUP, 22, hypervisor.ALLOWED_CIDR)
    rows = [p for p, _b, _a in PATHS if not p.startswith(' ')]
    rows += list(RESTART_ROWS)
    # One build at a time: Train defines its static nwfilters (nova-base)
    # on the first build without a lock ("referenced filter 'nova-base' is
    # missing" for the loser of two), and libvirt 9.0's nwfilter driver
    # races with itself on Debian's ebtables-nft when two domains start at
    # once (Rocky: "RULE_DELETE failed"). Neither is what the bed tests.
    server_ids = {}
    for number, row in enumerate(rows):
        server_ids[row] = case.boot('bed-%d' % number, GROUP)
        case.wait_status(server_ids[row], 'ACTIVE')
    guests = dict((row, Guest(case, row, server_id))
                  for row, server_id in server_ids.items())
    rows = sorted(guests)
    for row, cell in zip(rows, probe_all(bed, [guests[r] for r in rows])):
        log('before restart: %s %s' % (row, cell))
        if not cell['guest_up'] or cell['exposed']:
            raise AssertionError('%s: guest not up or open before the '
                                 'restart: %s' % (row, cell))
    return guests


def _run(case, bed, log, warnings):
    guests = _boot_all(case, bed, log)
    befores = [(path, before) for path, before, _after in PATHS if before]
    befores.append((ERROR, 'error'))
    for row, before in befores:
        body, status = BEFORE[before]
        case.action(guests[row].server_id, body)
        case.wait_status(guests[row].server_id, status)
    log('stopping nova-compute; deleting %s through the API' %
        guests[DELETED].server_id)
    case.stop_compute()
    case.delete_while_down(guests[DELETED].server_id)
    log('starting nova-compute')
    case.start_compute()
    results, final = [], {}

    def record(row, guest, cell, started):
        cell['path'] = row
        cell['seconds'] = int(time.time() - started)
        log('after restart: %s' % cell)
        results.append(cell)
        final[guest.row] = cell

    for row in RESTART_ROWS:
        started = time.time()
        cell = probe(bed, guests[row])
        cell['domain'] = bed.domain_state(guests[row].domain)
        cell['orphan_warning'] = any(
            m.startswith(ORPHAN_WARNING % guests[row].id)
            for m in warnings.messages)
        record(row, guests[row], cell, started)
    last = None
    for path, _before, after in PATHS:
        guest = guests.get(path, last)
        last = guest
        started = time.time()
        if after:
            body, status = after
            refused = case.try_action(guest.server_id, body)
            if refused:
                record(path, guest, refused_cell(case, guest, refused),
                       started)
                continue
            case.wait_status(guest.server_id, status)
        record(path, guest, probe(bed, guest), started)
    # Rows sorted as the table prints them.
    results.sort(key=lambda cell: ROWS.index(cell['path']))
    audit = audit_host(guests, final)
    log('audit: %s' % audit)
    running = dict((row, g) for row, g in guests.items()
                   if not final[row].get('refused'))
    results.append(init_raises(case, bed, log, running))
    return results, audit


def init_raises(case, bed, log, guests):
    """A restart whose ``_init_instance`` raises for one instance.

    nova's ``init_host`` has no handler around the loop: the instances after
    the failing one are never initialised, the deferred apply in its
    ``finally`` writes what the new process holds, and the service does not
    start. Every guest still running is probed: stock leaves the failing
    instance and those after it without a chain, nova-sgfix none.
    ``guests``: the running ones (a server the API refused to start is
    still in nova's loop, but has nothing to probe).
    """
    in_db = sorted((g for g in guests.values() if g.row != DELETED),
                   key=lambda g: g.id)
    failing = in_db[len(in_db) // 2]
    log('stopping nova-compute; next start: _init_instance raises for %s '
        '(instance %d)' % (failing.row, failing.id))
    case.stop_compute()
    started = time.time()
    entered = case.start_compute(fail_init_for=failing.server_id)
    initialised = set(entered[:-1]) if entered else set()
    everyone = in_db + [guests[DELETED]]
    cells = probe_all(bed, everyone)
    for guest, cell in zip(everyone, cells):
        cell.update(row=guest.row, id=guest.id,
                    initialised=guest.server_id in initialised,
                    failed=guest is failing)
    # Stock: exposed exactly where nova's loop did not finish the guest.
    code_says = all(c['exposed'] == (not c['initialised']) for c in cells)
    cell = {
        'path': INIT_ROW, 'guests': cells,
        'guest_up': all(c['guest_up'] for c in cells),
        'exposed': any(c['exposed'] for c in cells),
        'chain': all(c['chain'] for c in cells),
        'as_code_says': code_says,
        'entered': len(entered or ()),
        'seconds': int(time.time() - started),
    }
    log('after restart whose init raised: %s' % cell)
    return cell


def audit_host(guests, final):
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
    verdicts = {}
    for row, guest in guests.items():
        verdicts[row] = {'verdict': by_name.get(guest.domain, 'not listed'),
                         'exposed': final[row]['exposed'],
                         'running': not final[row].get('refused')}
    return {'status': check.STATUS_NAMES[report.status], 'guests': verdicts}
