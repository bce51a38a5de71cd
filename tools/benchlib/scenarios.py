"""The operations the benchmark measures, each on fresh hosts.

Every function builds its hosts, runs one repetition and returns plain
records ``{'sample': Sample, ...}``; nothing here decides a verdict.
"""

from __future__ import absolute_import

from nova.compute import power_state

from benchlib import hosts
from benchlib import meter

#: Guarded operation -> the hard reboot of the same guest in the same state.
GUARDED = (
    ('soft reboot, running guest', 'hard reboot, running guest'),
    ('unpause, paused across restart',
     'hard reboot, paused across restart'),
    ('rescue, stopped across restart',
     'hard reboot, stopped across restart'),
)

#: Restart mix: guest i is running, stopped or paused by i % 3.
MIX = ('running', 'stopped', 'paused')
#: The restart's guest populations: the mix above, or every guest running.
MIXED, ALL_RUNNING = 'mixed', 'all running'


def _state(host, guest):
    return {'running': host.power_state(guest) == power_state.RUNNING,
            'filtered': host.is_filtered(guest)}


def _stopped_across_restart(clock, driver, reboot, real_sleep=False,
                            **host_options):
    """A guest stopped across a restart (a second one running), rebooted.

    :param reboot: ``'soft'`` or ``'hard'``.
    """
    with hosts.compute_host(driver, 'stopped' + reboot,
                            **host_options) as host:
        if real_sleep:
            hosts.sleep_for_real(host)
        guest, _other = hosts.boot_batch(host, 2)
        host.stop(guest)
        host.restart_compute()
        operation = getattr(host, reboot + '_reboot')
        sample = meter.measure(clock, host, lambda: operation(guest))
        record = {'sample': sample}
        record.update(_state(host, guest))
        return record


def stopped_soft_reboot(clock, driver, wait, real_sleep=False):
    """Soft reboot of a guest that was stopped across a restart.

    The OSSN-0022 path: a second guest stays running; stock nova waits
    ``wait`` times ``sleep(1)`` for a shutdown that never comes, then falls
    back to a hard reboot. The host records those sleeps instead of sleeping
    unless ``real_sleep``.
    """
    return _stopped_across_restart(clock, driver, 'soft', real_sleep,
                                   wait_soft_reboot_seconds=wait)


def stopped_hard_reboot(clock, driver):
    """The hard reboot that the stopped guest's soft reboot stands in for."""
    return _stopped_across_restart(clock, driver, 'hard')


def guarded_operations(clock, driver, others, cycles=1):
    """Each guarded operation and its hard-reboot reference, on one host.

    The host runs ``others`` guests plus the subject guest. The verdicts
    compare nova-sgfix's operation with stock nova's hard reboot: on each
    host that one of the pair is measured ``cycles`` times (in turn with the
    other, every time from the same state), the other one once, for
    information. The host runs with nova's ``defer_iptables_apply = True``,
    which nova uses only while nova-compute starts: its restarts here are
    set-up (one iptables-restore each) and are not measured.

    :returns: ``{operation: [record, ...]}``
    """
    records = {}
    with hosts.compute_host(driver, 'ops%d' % others,
                            defer_iptables_apply=True) as host:
        guest = hosts.boot_batch(host, others + 1)[-1]

        def run(name, operation, before=None, after=None):
            if before:
                before(guest)
                host.restart_compute()
            sample = meter.measure(clock, host, lambda: operation(guest))
            record = {'sample': sample}
            record.update(_state(host, guest))
            records.setdefault(name, []).append(record)
            if after:
                after(guest)

        pairs = (
            (('soft reboot, running guest', host.soft_reboot, None, None),
             ('hard reboot, running guest', host.hard_reboot, None)),
            (('unpause, paused across restart', host.unpause, host.pause,
              None),
             ('hard reboot, paused across restart', host.hard_reboot,
              host.pause)),
            (('rescue, stopped across restart', host.rescue, host.stop,
              host.unrescue),
             ('hard reboot, stopped across restart', host.hard_reboot,
              host.stop)))
        for (op, op_call, op_before, op_after), ref in pairs:
            for cycle in range(cycles):
                if driver == 'sgfix' or cycle == 0:
                    run(op, op_call, op_before, op_after)
                if driver == 'stock' or cycle == 0:
                    run(*ref)
    return records


def restart(clock, driver, instances, defer=False, population=MIXED):
    """A nova-compute restart with ``instances`` guests.

    ``population`` MIXED: in the MIX; ALL_RUNNING: every guest running.
    """
    with hosts.compute_host(driver, 'restart%d' % instances,
                            defer_iptables_apply=defer) as host:
        guests = hosts.boot_batch(host, instances)
        for number, guest in enumerate(guests):
            state = MIX[number % len(MIX)] if population == MIXED \
                else 'running'
            if state == 'stopped':
                host.stop(guest)
            elif state == 'paused':
                host.pause(guest)
        sample = meter.measure(clock, host, host.restart_compute)
        return {'sample': sample, 'instances': instances,
                'running': (len(guests[::len(MIX)]) if population == MIXED
                            else len(guests)),
                'filtered': hosts.filtered_count(host, guests)}
