"""The compute host every harness runs, on every release.

One host: guests booted through nova's own filtered path, the actions nova's
API and manager take on them, a nova-compute restart through the release's
own ``ComputeManager.init_host`` and ``pre_start_hook`` (compute_start.py),
and the security-group rules nova would read from its database. What a
release does differently is supplied by the two subclasses only:
``NovaComputeHost`` (tests/functional/harness/nova_host.py: Rocky and Train
from PyPI, nova objects, nova's unit-test fixtures) and
``LegacyComputeHost`` (tests/legacy/host.py: the Grizzly..Mitaka trees,
whose differences in turn live in tests/legacy/trees.py), as
nova_sgfix/compat.py keeps them for the package.

Nothing here imports nova at module level: the module is imported under
every tree's interpreter, Python 2.7 and 3.
"""

from __future__ import absolute_import

import os
import uuid as uuid_module

from tests.functional.harness import compute_start
from tests.functional.harness import guest_xml
from tests.functional.harness import topology

NODENAME = 'compute1'
FIREWALL = 'nova.virt.libvirt.firewall.IptablesFirewallDriver'
GUEST_NET = '192.0.2.0/24'
GATEWAY = '192.0.2.1'
ALLOWED_CIDR = topology.ALLOWED_CIDR
#: tcp/22 from the peers' network: the security group of every scenario.
SSH_FROM_PEERS = (('tcp', 22, 22, ALLOWED_CIDR),)

InitAborted = compute_start.InitAborted


def stock_driver_class():
    """nova's own driver (``compute_driver = libvirt.LibvirtDriver``)."""
    from nova.virt.libvirt import driver
    return driver.LibvirtDriver


def sgfix_driver_class():
    """nova-sgfix's driver: one class under both of its nova.conf names."""
    from nova_sgfix.virt.libvirt import LibvirtDriver
    return LibvirtDriver


stock_driver_class.column = 'stock'
sgfix_driver_class.column = 'sgfix'


class SecurityGroupRules(object):
    """The security-group rules nova would read from its database.

    Per instance: (protocol, from_port, to_port, cidr). Each host hands them
    to nova in the shape its release reads (objects, or rows through the
    VirtAPI; one group per instance, its id the instance's).
    """

    def __init__(self):
        self._rules = {}
        self._uuid_of_id = {}

    def set(self, instance_uuid, rules, instance_id=None):
        self._rules[instance_uuid] = list(rules)
        if instance_id is not None:
            self._uuid_of_id[instance_id] = instance_uuid

    def of(self, instance_uuid):
        return list(self._rules.get(instance_uuid, []))

    def rows_of_group(self, group_id):
        """The rule rows of group ``group_id`` (= the instance's id)."""
        return [{'protocol': proto, 'from_port': low, 'to_port': high,
                 'cidr': cidr, 'grantee_group': None}
                for proto, low, high, cidr in
                self.of(self._uuid_of_id.get(group_id))]


class Guest(object):
    """One instance: its nova instance, network_info and domain XML."""

    def __init__(self, number, instance, network_info, ip, mac, ip6=None):
        self.id = number
        self.instance = instance
        #: network_info as the release's compute manager passes it.
        self.network_info = network_info
        self.ip = ip
        self.mac = mac
        self.ip6 = ip6
        #: Deleted from nova's database: no longer on the host's list.
        self.deleted = False

    @property
    def uuid(self):
        return self.instance['uuid']

    @property
    def name(self):
        return self.instance['name']

    def domain_xml(self, disk):
        return guest_xml.render(self.name, self.uuid, self.mac, self.ip,
                                GATEWAY, disk)


def instance_of(args, kwargs):
    """The instance among a driver call's arguments (to_xml, _create_image)."""
    for value in list(args) + list(kwargs.values()):
        try:
            if value['uuid'] and value['id']:
                return value
        except Exception:
            continue
    raise AssertionError('no instance among %r' % (args,))


class ComputeHost(object):
    """What a compute host does the same on every release.

    A subclass sets ``guests``, ``soft_reboot_sleeps``, ``sg_rules``,
    ``context``, ``driver_class`` and ``driver``, names its release's
    ``COMPUTE_DRIVERS`` (column -> the ``compute_driver`` line that loads
    it), and supplies the hooks below.
    """

    COMPUTE_DRIVERS = {}

    # --- hooks: what differs between releases ----------------------------

    def _configure_compute_driver(self, name):
        """Set ``compute_driver = name`` in the release's configuration."""
        raise NotImplementedError()

    def _virtapi_args(self, args, kwargs):
        """The arguments nova's loader gets (virtapi, ...)."""
        return args, kwargs

    def _stub_driver(self, driver):
        """The guest XML, images and disks nova would build: stand-ins."""
        raise NotImplementedError()

    def _before_new_driver(self):
        """A fresh IptablesManager (and options) for the new process."""
        raise NotImplementedError()

    def _build_manager(self):
        """The release's ComputeManager (its loader already redirected)."""
        raise NotImplementedError()

    def _answer_manager(self, manager):
        """The manager's database and RPC edges."""

    def _new_instance(self, number, uuid, ip, mac, ip6):
        """(instance, network_info) as the release's nova hands them."""
        raise NotImplementedError()

    def _create_domain_and_network(self, guest):
        raise NotImplementedError()

    def _rescue(self, guest):
        raise NotImplementedError()

    # --- nova-compute process life ---------------------------------------

    @property
    def compute_driver(self):
        """The ``compute_driver`` line of this host's column."""
        return self.COMPUTE_DRIVERS[self.driver_class.column]

    def _load_driver(self, load_compute_driver, *args, **kwargs):
        """A fresh driver and IptablesManager, loaded as nova-compute does.

        nova's own loader reads ``compute_driver``; the class it returns
        must be the column's.
        """
        self._before_new_driver()
        self._configure_compute_driver(self.compute_driver)
        args, kwargs = self._virtapi_args(args, kwargs)
        driver = load_compute_driver(*args, **kwargs)
        if type(driver) is not self.driver_class():
            raise AssertionError('compute_driver = %s loaded %r' % (
                self.compute_driver, type(driver)))
        self._stub_driver(driver)
        self.driver = driver
        return driver

    def _new_manager(self):
        """The release's ComputeManager, loading this host's driver."""
        from nova.virt import driver as virt_driver
        real_load = virt_driver.load_compute_driver
        virt_driver.load_compute_driver = (
            lambda *args, **kwargs: self._load_driver(real_load, *args,
                                                      **kwargs))
        try:
            manager = self._build_manager()
        finally:
            virt_driver.load_compute_driver = real_load
        self._answer_manager(manager)
        # The scheduler and placement are other services (Grizzly publishes
        # capabilities, Liberty and later send instance info).
        for name in ('scheduler_rpcapi', 'scheduler_client', 'query_client'):
            if hasattr(manager, name):
                setattr(manager, name, compute_start.OtherService(name))
        self.manager = manager
        return manager

    def restart_compute(self, abort_after=None):
        """Stop nova-compute and start a new one: the release's own start-up.

        A new ``ComputeManager`` of the release gets a new driver and
        IptablesManager over the same hypervisor; its ``init_host`` (the
        driver's ``init_host``, the instance list, ``defer_iptables_apply``,
        ``_init_instance`` for each instance) and ``pre_start_hook`` run as
        ``Service.start`` runs them. Deleted guests are not on the list.

        :param abort_after: see ``compute_start.start``.
        """
        compute_start.start(self._new_manager(), abort_after)
        return self.driver

    # --- guests ----------------------------------------------------------

    def _instance_path(self, instance):
        from nova.virt.libvirt import utils as libvirt_utils
        return libvirt_utils.get_instance_path(instance)

    def disk_of(self, guest):
        return os.path.join(self._instance_path(guest.instance), 'disk')

    def guest_of(self, instance):
        for guest in self.guests:
            if guest.uuid == instance['uuid']:
                return guest
        raise AssertionError('no such guest: %s' % instance['uuid'])

    def _guest_xml(self, *args, **kwargs):
        guest = self.guest_of(instance_of(args, kwargs))
        return guest.domain_xml(self.disk_of(guest))

    def boot(self, rules=SSH_FROM_PEERS, ip=None, ip6=None):
        """Boot a guest through nova's own filtered path."""
        number = len(self.guests) + 1
        ip = ip or '192.0.2.%d' % (9 + number)
        mac = 'fa:16:3e:00:00:%02x' % number
        uuid = str(uuid_module.uuid4())
        instance, network_info = self._new_instance(number, uuid, ip, mac,
                                                    ip6)
        guest = Guest(number, instance, network_info, ip, mac, ip6)
        self.guests.append(guest)
        self.sg_rules.set(uuid, rules, instance_id=number)
        os.makedirs(self._instance_path(instance))
        self._create_domain_and_network(guest)
        return guest

    def power_state(self, guest):
        info = self.driver.get_info(guest.instance)
        return info['state'] if isinstance(info, dict) else info.state

    def _action(self, guest, task_state, vm_state):
        return compute_start.action(guest.instance, task_state, vm_state,
                                    lambda: self.power_state(guest))

    def stop(self, guest):
        with self._action(guest, 'powering-off', 'stopped'):
            self.driver.power_off(guest.instance)

    def pause(self, guest):
        with self._action(guest, 'pausing', 'paused'):
            self.driver.pause(guest.instance)

    def unpause(self, guest):
        with self._action(guest, 'unpausing', 'active'):
            self.driver.unpause(guest.instance)

    def rescue(self, guest):
        with self._action(guest, 'rescuing', 'rescued'):
            self._rescue(guest)

    def soft_reboot(self, guest):
        with self._action(guest, 'rebooting', 'active'):
            self.driver.reboot(self.context, guest.instance,
                               guest.network_info, 'SOFT')

    def hard_reboot(self, guest):
        with self._action(guest, 'rebooting_hard', 'active'):
            self.driver.reboot(self.context, guest.instance,
                               guest.network_info, 'HARD')

    def delete_while_down(self, guest, domain_keeps_running=True):
        """The instance was deleted while nova-compute was not running.

        :param domain_keeps_running: as with ``_local_delete``, which only
            changes the database: the domain runs on until
            ``running_deleted_instance_action`` (default ``log``) acts.
            False: the domain went too (deleted by other means).
        """
        if not domain_keeps_running:
            self.domain(guest).destroy()
        guest.deleted = True

    def domain(self, guest):
        return self.hypervisor.lookupByUUIDString(guest.uuid)
