"""Compute hosts for the benchmark, each in a namespace it always deletes.

The hosts are the functional tests' ``NovaComputeHost``: real nova code, real
iptables in a network namespace, nova's fake libvirt as the hypervisor.
"""

from __future__ import absolute_import

import contextlib

import eventlet.greenthread
import fixtures

from tests.functional.harness import kernel_rules
from tests.functional.harness import netns
from tests.functional.harness import nova_host

#: Captured before any host replaces it with a recorder.
REAL_SLEEP = eventlet.greenthread.sleep

#: The security group every guest gets: ssh from a peer network, web and
#: ping from anywhere.
RULES = [('tcp', 22, 22, '198.51.100.0/24'), ('tcp', 80, 80, '0.0.0.0/0'),
         ('icmp', -1, -1, '0.0.0.0/0')]

#: The harness numbers each guest's MAC and IP with one byte.
MAX_GUESTS = 240

DRIVERS = {'stock': nova_host.stock_driver_class,
           'sgfix': nova_host.sgfix_driver_class}


@contextlib.contextmanager
def compute_host(driver, label, **kwargs):
    """A NovaComputeHost on ``driver`` ('stock' or 'sgfix').

    It lives in a fresh namespace; the host is cleaned up and the namespace
    deleted on any exit.
    """
    namespace = netns.create('bench-' + label)
    try:
        host = nova_host.NovaComputeHost(namespace, DRIVERS[driver],
                                         **kwargs)
        host.setUp()
        try:
            yield host
        finally:
            host.cleanUp()
    finally:
        netns.delete(namespace)


def boot_batch(host, count):
    """Boot ``count`` guests through nova's own filtered path.

    Their rules are written with one iptables-restore instead of one each.
    Set-up only, never measured: booting 200 guests one restore at a time
    takes about 20 s and measures nothing this benchmark reports.
    """
    manager = host.driver.firewall_driver.iptables
    manager.apply = lambda: None
    try:
        guests = [host.boot(RULES) for _ in range(count)]
    finally:
        del manager.apply
    manager.apply()
    return guests


def sleep_for_real(host):
    """Make nova's soft-reboot wait really sleep (still recording it)."""
    def sleep(seconds=0):
        host.soft_reboot_sleeps.append(seconds)
        REAL_SLEEP(seconds)
    host.useFixture(fixtures.MonkeyPatch(
        'nova.virt.libvirt.driver.greenthread.sleep', sleep))


def filtered_count(host, guests):
    """How many of ``guests`` the kernel holds behind their chain."""
    kernel = host.kernel()
    return sum(1 for g in guests
               if kernel_rules.guest_is_filtered(kernel, g.id, g.ip))
