"""nova-compute's start-up and actions as both compute-host harnesses run them.

``NovaComputeHost`` (Rocky, Train from PyPI) and ``LegacyComputeHost``
(Grizzly..Mitaka trees) each build the release's own ``ComputeManager``;
what follows is the same for every release: ``Service.start`` runs
``init_host`` then ``pre_start_hook``, a fault can be injected into nova's
own ``_init_instance``, and the harness records around each driver call the
states nova's API and manager would. Nothing here imports nova.
"""

from __future__ import absolute_import

import contextlib


class InitAborted(Exception):
    """The exception injected into nova's own ``_init_instance``."""


class OtherService(object):
    """A service nova-compute only casts to here (scheduler, placement)."""

    def __init__(self, name):
        self.name = name

    def __getattr__(self, method):
        return lambda *args, **kwargs: None


def start(manager, abort_after=None):
    """``init_host`` and ``pre_start_hook``, as ``Service.start`` runs them.

    :param abort_after: nova's own ``_init_instance`` raises
        ``InitAborted`` on call number ``abort_after + 1`` (after that many
        instances); nova's ``finally`` still turns ``defer_iptables_apply``
        off, ``pre_start_hook`` never runs, the exception leaves here.
    """
    if abort_after is not None:
        real_init_instance = manager._init_instance
        entered = []

        def init_instance(context, instance):
            if len(entered) >= abort_after:
                raise InitAborted('_init_instance of %s failed (injected)'
                                  % instance['uuid'])
            entered.append(instance['uuid'])
            return real_init_instance(context, instance)
        manager._init_instance = init_instance
    manager.init_host()
    manager.pre_start_hook()


@contextlib.contextmanager
def action(instance, task_state, vm_state, power_state_of):
    """The states nova's API and manager record around a driver call.

    The task state is set first, so that a lifecycle event the call causes
    is skipped by ``_sync_instance_power_state``, as in nova; vm_state and
    power_state are recorded when the call returns.

    :param power_state_of: callable giving the domain's power state then.
    """
    instance['task_state'] = task_state
    try:
        yield
        instance['vm_state'] = vm_state
        instance['power_state'] = power_state_of()
    finally:
        instance['task_state'] = None
