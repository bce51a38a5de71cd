"""What one operation costs: iptables-restore runs, filter work, wall time.

"Filter work" is the (wall-clock) time spent inside nova's firewall driver
calls, nova's IptablesManager (which runs iptables-save and
iptables-restore) and nova-sgfix's own filter code (every method of
``FilterGuard`` and ``StartupResync`` and the driver's ``_sgfix_*``
helpers, so that nova-sgfix's overhead is charged to it). A call nested in
a timed call is not timed again. The CPU time of the same calls, including
the iptables processes they ran, is kept beside it. The wrappers are set on
the classes, so drivers built by a restart are timed too.
"""

from __future__ import absolute_import

import resource
import timeit

from nova.network import linux_net
from nova.virt.libvirt import firewall as libvirt_firewall

from nova_sgfix import filtering
from nova_sgfix import resync
from nova_sgfix.virt.libvirt import driver as sgfix_driver
from tests.functional.harness import iptables_exec

clock = timeit.default_timer


def cpu_clock():
    """CPU seconds of this process and of its reaped children (iptables)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


NOVA_TIMED = (
    (libvirt_firewall.IptablesFirewallDriver,
     ('setup_basic_filtering', 'prepare_instance_filter',
      'apply_instance_filter', 'unfilter_instance',
      'refresh_instance_security_rules', 'refresh_security_group_rules',
      'instance_filter_exists', 'filter_defer_apply_on',
      'filter_defer_apply_off')),
    (linux_net.IptablesManager,
     ('apply', '_apply', 'defer_apply_on', 'defer_apply_off')),
)


def _own_methods(cls, prefix=''):
    """Plain functions defined in ``cls`` itself (no dunders, properties)."""
    return tuple(sorted(
        name for name, value in vars(cls).items()
        if name.startswith(prefix) and not name.startswith('__') and
        callable(value) and not isinstance(value, (staticmethod,
                                                   classmethod))))


def timed_methods():
    """(class, method names) whose calls count as filter work.

    nova-sgfix's side is read from its classes, so that a helper added or
    renamed there is charged to nova-sgfix without editing this list.
    """
    return NOVA_TIMED + (
        (filtering.FilterGuard, _own_methods(filtering.FilterGuard)),
        (resync.StartupResync, _own_methods(resync.StartupResync)),
        (sgfix_driver.LibvirtDriver,
         _own_methods(sgfix_driver.LibvirtDriver, '_sgfix_')),
    )


class FilterWorkClock(object):
    """Accumulates the time spent in the outermost timed call."""

    def __init__(self):
        self.seconds = 0.0
        #: CPU time of the same calls, with the iptables processes they ran:
        #: the work itself, without the waits for a busy machine's CPUs.
        self.cpu_seconds = 0.0
        #: of which in iptables-save/-restore processes (always nested).
        self.command_seconds = 0.0
        #: bytes fed to iptables-restore: equal bytes, equal kernel work.
        self.restore_bytes = 0
        self._depth = 0
        self._saved = []

    def _wrap(self, original):
        clock_ = self

        def timed(*args, **kwargs):
            clock_._depth += 1
            outermost = clock_._depth == 1
            if outermost:
                start, cpu_start = clock(), cpu_clock()
            try:
                return original(*args, **kwargs)
            finally:
                clock_._depth -= 1
                if outermost:
                    clock_.seconds += clock() - start
                    clock_.cpu_seconds += cpu_clock() - cpu_start
        timed.__name__ = getattr(original, '__name__', 'timed')
        return timed

    def _wrap_command(self, original):
        clock_ = self

        def timed(runner, cmd, *args, **kwargs):
            if cmd.endswith('-restore'):
                clock_.restore_bytes += len(kwargs.get('process_input') or
                                            '')
            start = clock()
            try:
                return original(runner, cmd, *args, **kwargs)
            finally:
                clock_.command_seconds += clock() - start
        return timed

    def install(self):
        for cls, names in timed_methods():
            for name in names:
                self._replace(cls, name, self._wrap(getattr(cls, name)))
        runner = iptables_exec.NamespaceIptables
        self._replace(runner, '__call__',
                      self._wrap_command(runner.__call__))

    def _replace(self, cls, name, wrapper):
        self._saved.append((cls, name, cls.__dict__.get(name)))
        setattr(cls, name, wrapper)

    def uninstall(self):
        while self._saved:
            cls, name, own = self._saved.pop()
            if own is None:
                delattr(cls, name)
            else:
                setattr(cls, name, own)


class Sample(object):
    """The cost of one operation on one host."""

    def __init__(self, wall, filter_work, filter_cpu, commands, restores,
                 restore_bytes, sleeps):
        self.wall = wall
        self.filter_work = filter_work
        self.filter_cpu = filter_cpu
        self.commands = commands
        self.restores = restores
        self.restore_bytes = restore_bytes
        self.sleeps = sleeps

    def as_dict(self):
        return {'wall_s': self.wall, 'filter_work_s': self.filter_work,
                'filter_cpu_s': self.filter_cpu,
                'iptables_commands_s': self.commands,
                'restores': self.restores,
                'restore_bytes': self.restore_bytes, 'slept_s': self.sleeps}


def measure(work_clock, host, operation):
    """Run ``operation()`` on ``host`` and return its Sample.

    A restart gives the host a new iptables runner whose count starts at
    zero: every restore it counted belongs to the operation.
    """
    runner = host.iptables
    restores_before = runner.restores
    sleeps_before = len(host.soft_reboot_sleeps)
    work_before = work_clock.seconds
    cpu_before = work_clock.cpu_seconds
    commands_before = work_clock.command_seconds
    bytes_before = work_clock.restore_bytes
    start = clock()
    operation()
    wall = clock() - start
    if host.iptables is runner:
        restores = runner.restores - restores_before
    else:
        restores = host.iptables.restores
    slept = sum(host.soft_reboot_sleeps[sleeps_before:])
    return Sample(wall, work_clock.seconds - work_before,
                  work_clock.cpu_seconds - cpu_before,
                  work_clock.command_seconds - commands_before, restores,
                  work_clock.restore_bytes - bytes_before, slept)
