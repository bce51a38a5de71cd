"""A nova-network compute host built from a real nova tree (Grizzly..Mitaka).

Real: the tree's libvirt driver (stock, or nova-sgfix's subclass of it), its
libvirt ``IptablesFirewallDriver`` with nwfilters, its ``IptablesManager``
writing the kernel tables of a test namespace. Stand-ins only at the edges
the tree's own test_libvirt.py uses: the tree's fake libvirt for the
hypervisor, the security-group rules nova reads from its database (through
the VirtAPI calls ``instance_rules`` makes), the guest XML, disk images and
the disk layout nova would build from images and flavors. Any other command
nova tries to run on the host is refused.

Guests, actions and the restart are ``compute_host.ComputeHost``, the same
host the functional tests run on Rocky and Train: a restart builds a new
IptablesManager and a new driver over the same hypervisor and runs the
tree's own ``ComputeManager.init_host`` and ``pre_start_hook`` with it, so
the tree's ``_init_instance`` decides what is plugged and re-filtered.
This module holds what the trees share against PyPI's releases; what
differs between the trees is ``trees.Tree``. Only the manager's database
and RPC edges are answered (``TreeDatabase`` for the conductor API,
``trees`` for the object reads of each release): the instances not
deleted, no migrations, no compute node record, the scheduler as a service
nothing listens for, the resource tracker asking only the driver.
"""

from __future__ import absolute_import

import importlib
import os
import shutil
import tempfile
import uuid as uuid_module

from tests.functional.harness import compute_host
from tests.functional.harness import compute_start
from tests.legacy import kernel
from tests.legacy import trees

NODENAME = compute_host.NODENAME
FIREWALL = compute_host.FIREWALL
ALLOWED_CIDR = compute_host.ALLOWED_CIDR
SG_RULE = '-s %s -p tcp -m tcp --dport 22 -j ACCEPT' % ALLOWED_CIDR

_process = {}


def bootstrap(tree):
    """Import the tree the way nova-compute does and patch its edges once.

    :returns: the tree's fake libvirt module.
    """
    if _process:
        return _process['fakelibvirt']
    # nova-compute monkey-patches first thing (Havana's nova.tests does it
    # on import and insists on this variable).
    os.environ['EVENTLET_NO_GREENDNS'] = 'yes'
    import eventlet
    eventlet.monkey_patch(os=False)
    # Installs _() (Grizzly), monkey-patches again and registers the
    # objects (Havana and later).
    importlib.import_module(tree.test_package)
    register_objects()
    tree.start_rpc()
    # nova-compute's main imports nova.service (the service options the
    # compute manager reads, e.g. report_interval).
    importlib.import_module('nova.service')
    from nova.network import linux_net
    from nova import utils
    from nova.virt.libvirt import blockinfo
    from nova.virt.libvirt import driver as driver_module

    fakelibvirt = tree.load_fakelibvirt()
    tree.install_fakelibvirt(fakelibvirt)
    fakelibvirt.openAuth = lambda uri, auth, flags=0: _process[
        'host'].hypervisor
    linux_net.binary_name = kernel.BINARY

    def refuse(*args, **kwargs):
        raise AssertionError('nova tried to run %r on the host' % (args,))
    utils.execute = refuse
    # The disk layout would come from the flavor and image; the firewall
    # never looks at it.
    blockinfo.get_disk_info = lambda *args, **kwargs: {
        'disk_bus': 'virtio', 'cdrom_bus': 'ide',
        'mapping': {'root': {'bus': 'virtio', 'dev': 'vda', 'type': 'disk'},
                    'disk': {'bus': 'virtio', 'dev': 'vda', 'type': 'disk'}}}
    # Resource tracking reads nova's database: not what is under test. The
    # tracker still asks the driver first, as at every pre_start_hook.
    driver_module.LibvirtDriver.get_available_resource = \
        lambda self, nodename: {}
    from nova.compute import resource_tracker
    resource_tracker.ResourceTracker.update_available_resource = \
        lambda tracker, *args, **kwargs: \
        tracker.driver.get_available_resource(tracker.nodename)
    resource_tracker.ResourceTracker.update_usage = \
        lambda tracker, *args, **kwargs: None
    tree.stub_host_edges()
    driver_module.greenthread = SleepRecorder(driver_module.greenthread)
    _process['fakelibvirt'] = fakelibvirt
    return fakelibvirt


def register_objects():
    """What nova-compute's main() does from Juno on (no-op before)."""
    try:
        from nova import objects
    except ImportError:  # Grizzly: no versioned objects
        return
    getattr(objects, 'register_all', lambda: None)()


class SleepRecorder(object):
    """The driver module's ``greenthread``, with ``sleep`` only recorded.

    ``_soft_reboot`` waits ``libvirt_wait_soft_reboot_seconds`` one
    ``greenthread.sleep(1)`` at a time; the harness counts them instead.
    """

    def __init__(self, greenthread):
        self._greenthread = greenthread

    def sleep(self, seconds=0):
        _process['host'].soft_reboot_sleeps.append(seconds)
        self._greenthread.sleep(0)

    def __getattr__(self, name):
        return getattr(self._greenthread, name)


stock_driver_class = compute_host.stock_driver_class
sgfix_driver_class = compute_host.sgfix_driver_class

InitAborted = compute_start.InitAborted


class TreeDatabase(object):
    """nova's database as the compute manager's start-up reads it.

    Answers the conductor API calls of Grizzly and Havana; the tree's
    ``answer_manager_database`` routes the object calls of later releases
    here. Any other call fails the run, naming itself.
    """

    def __init__(self, host):
        self._host = host

    def instances(self):
        return [guest.instance for guest in self._host.guests
                if not guest.deleted]

    def instance_get_all_by_host(self, context, host, *args, **kwargs):
        return self.instances()

    def instance_get_all_by_filters(self, context, filters, *args, **kwargs):
        uuids = filters.get('uuid')
        return [instance for instance in self.instances()
                if uuids is None or instance['uuid'] in uuids]

    def instance_get_by_uuid(self, context, uuid, *args, **kwargs):
        from nova import exception
        for instance in self.instances():
            if instance['uuid'] == uuid:
                return instance
        raise exception.InstanceNotFound(instance_id=uuid)

    def instance_update(self, context, uuid, **values):
        instance = self.instance_get_by_uuid(context, uuid)
        for name, value in values.items():
            instance[name] = value
        return instance

    def service_get_by_compute_host(self, context, host):
        return {'compute_node': []}

    def __getattr__(self, name):
        raise AssertionError('the harness does not answer %s' % name)


class LegacyComputeHost(compute_host.ComputeHost):
    """A compute host whose iptables live in ``namespace``."""

    #: Grizzly..Mitaka import ``compute_driver`` as a full path too.
    COMPUTE_DRIVERS = {'stock': 'libvirt.LibvirtDriver',
                       'sgfix': 'nova_sgfix.virt.libvirt.LibvirtDriver'}

    def __init__(self, tree, namespace, driver_class, wait_seconds,
                 resync_on_start=True):
        self.tree = tree
        self.fakelibvirt = bootstrap(tree)
        from nova import context as nova_context
        self.conf = tree.cfg()
        self.context = nova_context.get_admin_context()
        self.namespace = namespace
        self.driver_class = driver_class
        self.hypervisor = self.fakelibvirt.Connection('qemu:///system', False)
        self.iptables = kernel.NamespaceIptables(namespace)
        self.sg_rules = compute_host.SecurityGroupRules()
        self.guests = []
        self.soft_reboot_sleeps = []
        self.driver = None
        self._tmp = tempfile.mkdtemp(prefix='sgfix-legacy-')
        _process['host'] = self
        self._configure(wait_seconds, resync_on_start)
        self.restart_compute()

    def _configure(self, wait_seconds, resync_on_start):
        # Registering nova-sgfix's options needs the driver module.
        sgfix_driver_class()
        overrides = [
            ('firewall_driver', FIREWALL, None),
            ('use_ipv6', False, None),
            ('allow_same_net_traffic', True, None),
            ('instances_path', os.path.join(self._tmp, 'instances'), None),
            ('host', NODENAME, None),
            ('enabled', True, 'sgfix'),
            ('resync_on_start', resync_on_start, 'sgfix'),
        ] + self.tree.conf_overrides(wait_seconds,
                                     os.path.join(self._tmp, 'locks'))
        for name, value, group in overrides:
            self.conf.set_override(name, value, group=group)
        os.makedirs(os.path.join(self._tmp, 'instances'))
        os.makedirs(os.path.join(self._tmp, 'locks'))

    def close(self):
        _process.pop('host', None)
        shutil.rmtree(self._tmp, ignore_errors=True)

    # --- nova-compute process life ---------------------------------------

    def _before_new_driver(self):
        from nova.network import linux_net
        linux_net.iptables_manager = linux_net.IptablesManager(
            execute=self.iptables)

    def _configure_compute_driver(self, name):
        self.conf.set_override('compute_driver', name)

    def _virtapi_args(self, args, kwargs):
        # The VirtAPI through which the tree reads security-group rows.
        return (self.tree.security_group_api(self.sg_rules),), {}

    def _stub_driver(self, driver):
        self.tree.stub_driver(driver, self._guest_xml)

    def restart_compute(self, abort_after=None, defer_iptables_apply=False):
        """The tree's own start-up (``compute_host``), deferred or not."""
        self.conf.set_override('defer_iptables_apply', defer_iptables_apply)
        return super(LegacyComputeHost, self).restart_compute(abort_after)

    def _build_manager(self):
        from nova.compute import manager as manager_module
        return manager_module.ComputeManager()

    def _answer_manager(self, manager):
        database = TreeDatabase(self)
        manager.conductor_api = database
        self.tree.answer_manager_database(database)

    # --- guests ------------------------------------------------------------

    def _new_instance(self, number, uuid, ip, mac, ip6):
        model_info = trees.network_model_info(ip, mac,
                                              str(uuid_module.uuid4()))
        instance = self.tree.make_instance(self.context, number, uuid,
                                           model_info)
        return instance, self.tree.driver_network_info(model_info)

    def _create_domain_and_network(self, guest):
        self.tree.create_domain_and_network(
            self.driver, self.context, guest.domain_xml(self.disk_of(guest)),
            guest.instance, guest.network_info)

    def _rescue(self, guest):
        self.driver.rescue(self.context,
                           self.tree.rescue_instance(guest.instance),
                           guest.network_info,
                           self.tree.rescue_image_meta(), 'rescue-pass')

    def attach_interface(self, guest, ip):
        """Attach a second interface with address ``ip`` to the guest."""
        mac = 'fa:16:3e:00:01:%02x' % guest.id
        model_info = trees.network_model_info(ip, mac,
                                              str(uuid_module.uuid4()))
        self.tree.attach_interface(self.driver, guest.instance, model_info)

    # --- what the kernel holds -----------------------------------------

    def missing_filter(self, guest, ip=None):
        """None if the kernel filters the guest, else what is missing."""
        return kernel.missing_filter(self.iptables.ruleset(), guest.id,
                                     ip or guest.ip, SG_RULE)
