"""A nova-network compute host built from real nova parts.

Real: nova's libvirt driver (stock, or nova-sgfix's subclass), nova's
libvirt ``IptablesFirewallDriver`` with its nwfilters, nova's
``IptablesManager`` and the kernel's iptables in a test namespace. Stand-ins
only at the edges nova's own tests use: nova's fake libvirt for the
hypervisor, the security-group rules that nova would read from its database,
and the guest XML that nova would render from images and flavors.

A restart builds a new IptablesManager and a new driver over the same
hypervisor, then initialises every instance the way
``ComputeManager._init_instance`` does: ``plug_vifs`` for each, filters
re-ensured only for running guests.
"""

from __future__ import absolute_import

import os

import fixtures
from nova.compute import power_state
from nova import context as nova_context
from nova.network import linux_net
from nova.network import model as network_model  # noqa: used by tests
from nova import objects
from nova.tests.unit import fake_instance
from nova.tests.unit.virt.libvirt import fakelibvirt
from nova.virt import fake as fake_virt
from nova.virt.libvirt import driver as stock_driver
from nova.virt.libvirt import guest as guest_module
from nova.virt.libvirt import utils as libvirt_utils
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_utils import uuidutils

from nova_sgfix import conf as sgfix_conf
from tests.functional.harness import guest_xml
from tests.functional.harness import iptables_exec
from tests.functional.harness import kernel_rules
from tests.functional.harness import netns
from tests import nova_virt

CONF = cfg.CONF
FIREWALL = 'nova.virt.libvirt.firewall.IptablesFirewallDriver'
GUEST_NET = '192.0.2.0/24'
GATEWAY = '192.0.2.1'
GUEST_NET6 = '2001:db8::/64'
GATEWAY6 = '2001:db8::1'
NODENAME = 'compute1'
NETWORK_ID = '3cd9a4a0-6d3c-4c8c-9d05-5e1f2d1a0b7e'


def stock_driver_class():
    return stock_driver.LibvirtDriver


def sgfix_driver_class():
    # By the nova.conf name of Newton..Train, as nova's loader finds it.
    return nova_virt.driver_class('sgfix.LibvirtDriver')


class InitAborted(Exception):
    """An exception out of nova-compute's instance loop at start-up."""


class SecurityGroupRules(object):
    """The security-group rules nova would read from its database."""

    def __init__(self):
        self.rules = {}

    def set(self, instance_uuid, rules):
        """rules: list of (protocol, from_port, to_port, cidr)."""
        self.rules[instance_uuid] = list(rules)

    def get_by_instance(self, *args):
        # fixtures re-wraps a patched classmethod: (cls, context, instance)
        instance = args[-1]
        rules = [objects.SecurityGroupRule(
            protocol=proto, from_port=low, to_port=high, cidr=cidr,
            grantee_group=None)
            for proto, low, high, cidr in self.rules.get(instance.uuid, [])]
        return objects.SecurityGroupRuleList(objects=rules)


class Guest(object):
    """One instance: its nova object, network_info and domain XML."""

    def __init__(self, instance, network_info, ip, mac, ip6=None):
        self.instance = instance
        self.network_info = network_info
        self.ip = ip
        self.mac = mac
        self.ip6 = ip6
        self.deleted = False
        #: Why nova's start-up loop leaves this instance out, if it does.
        self.left_out = None

    @property
    def id(self):
        return self.instance.id

    @property
    def name(self):
        return self.instance.name

    def domain_xml(self):
        return guest_xml.render(
            self.name, self.instance.uuid, self.mac, self.ip, GATEWAY,
            os.path.join(libvirt_utils.get_instance_path(self.instance),
                         'disk'))


class SnapshotStorage(object):
    """Glance and the disk backend as a cold snapshot sees them."""

    def __init__(self):
        self.uploaded = []

    # image API
    def get(self, context, image_id, *args, **kwargs):
        return {'id': image_id, 'name': 'snapshot', 'properties': {}}

    def update(self, context, image_id, metadata, *args, **kwargs):
        self.uploaded.append(image_id)

    # image backend
    def by_libvirt_path(self, *args, **kwargs):
        return self

    def direct_snapshot(self, *args, **kwargs):
        raise NotImplementedError()

    def cleanup_direct_snapshot(self, *args, **kwargs):
        pass

    def snapshot_extract(self, target, out_format):
        open(target, 'w').close()


def make_vif(ip, mac, ip6=None):
    """One nova-network interface on the guest network.

    :param ip6: a fixed address on the IPv6 subnet too (``use_ipv6``).
    """
    subnets = [network_model.Subnet(
        cidr=GUEST_NET,
        gateway=network_model.IP(address=GATEWAY, type='gateway'),
        ips=[network_model.FixedIP(address=ip)], dns=[], routes=[],
        dhcp_server=GATEWAY)]
    if ip6:
        subnets.append(network_model.Subnet(
            cidr=GUEST_NET6,
            gateway=network_model.IP(address=GATEWAY6, type='gateway'),
            ips=[network_model.FixedIP(address=ip6)], dns=[], routes=[]))
    network = network_model.Network(
        id=NETWORK_ID, bridge='br100', label='private', subnets=subnets,
        meta={'should_create_bridge': False})
    return network_model.VIF(
        id=uuidutils.generate_uuid(), address=mac, network=network,
        type=network_model.VIF_TYPE_BRIDGE, devname='tap' + mac[-5:])


def make_network_info(ip, mac, ip6=None):
    return network_model.NetworkInfo([make_vif(ip, mac, ip6)])


class NovaComputeHost(fixtures.Fixture):
    """A compute host whose iptables live in ``namespace``.

    :param driver_class: callable returning the driver class to run
        (``stock_driver_class`` or ``sgfix_driver_class``).
    :param use_ipv6: nova's ``use_ipv6``; guests then get an IPv6 address
        too and nova writes ip6tables as well.
    """

    def __init__(self, namespace, driver_class, wait_soft_reboot_seconds=120,
                 defer_iptables_apply=False, sgfix_enabled=True,
                 resync_on_start=True, firewall_driver=FIREWALL,
                 use_ipv6=False):
        super(NovaComputeHost, self).__init__()
        self.namespace = namespace
        self.driver_class = driver_class
        self.wait_soft_reboot_seconds = wait_soft_reboot_seconds
        self.defer_iptables_apply = defer_iptables_apply
        self.sgfix_enabled = sgfix_enabled
        self.resync_on_start = resync_on_start
        self.firewall_driver = firewall_driver
        self.use_ipv6 = use_ipv6
        self.guests = []
        self.soft_reboot_sleeps = []
        self.driver = None
        self.iptables = None

    def _setUp(self):
        self.context = nova_context.get_admin_context()
        sgfix_conf.register_opts(CONF)
        self.conf = self.useFixture(config_fixture.Config(CONF))
        lock_path = self.useFixture(fixtures.TempDir()).path
        instances_path = self.useFixture(fixtures.TempDir()).path
        self.conf.config(lock_path=lock_path, group='oslo_concurrency')
        self.conf.config(firewall_driver=self.firewall_driver,
                         use_ipv6=self.use_ipv6,
                         use_neutron=False, instances_path=instances_path,
                         defer_iptables_apply=self.defer_iptables_apply)
        self.conf.config(
            wait_soft_reboot_seconds=self.wait_soft_reboot_seconds,
            group='libvirt')
        self.useFixture(fakelibvirt.FakeLibvirtFixture())
        # Real libvirt gives a domain a new ID every time it starts (and -1
        # while it is down); nova's fake keeps the first one, which would
        # make Havana's and later soft reboots of a restarted guest wait.
        real_create = fakelibvirt.Domain.createWithFlags

        def create_with_new_id(domain, flags):
            domain._id = domain._connection._id_counter
            return real_create(domain, flags)

        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.unit.virt.libvirt.fakelibvirt.Domain.createWithFlags',
            create_with_new_id))
        self.hypervisor = fakelibvirt.Connection('qemu:///system')
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.unit.virt.libvirt.fakelibvirt.openAuth',
            lambda uri, auth, flags=0: self.hypervisor))
        self.sg_rules = SecurityGroupRules()
        self.snapshot_storage = SnapshotStorage()
        self.conf.config(disable_libvirt_livesnapshot=True,
                         group='workarounds')
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.SecurityGroupRuleList.get_by_instance',
            self.sg_rules.get_by_instance))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.virt.libvirt.driver.greenthread.sleep',
            self.soft_reboot_sleeps.append))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.network.linux_net.binary_name', 'nova-compute'))
        # Instance records and service status live in nova's database.
        self.useFixture(fixtures.MockPatchObject(objects.Instance, 'save'))
        self.useFixture(fixtures.MockPatchObject(
            stock_driver.LibvirtDriver, '_set_host_enabled'))
        # Resource tracking reads nova's database: not what is under test.
        self.useFixture(fixtures.MockPatchObject(
            stock_driver.LibvirtDriver, 'get_available_resource',
            return_value={}))
        # Hairpin mode writes the host's /sys bridge ports: not ours to touch.
        for owner, name in ((guest_module.Guest, 'enable_hairpin'),
                            (stock_driver.LibvirtDriver, '_enable_hairpin')):
            if hasattr(owner, name):
                self.useFixture(fixtures.MockPatchObject(owner, name))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.network.linux_net.iptables_manager', None))
        self.restart_compute()

    # --- nova-compute process life ---------------------------------------

    def _new_iptables_manager(self):
        # One runner for the host's life: its counters and failure switch
        # outlive a nova-compute restart, as the kernel does.
        if self.iptables is None:
            self.iptables = iptables_exec.NamespaceIptables(self.namespace)
        try:
            manager = linux_net.IptablesManager(
                redirect_privsep_calls_to=self.iptables)
        except TypeError:  # Rocky and earlier
            manager = linux_net.IptablesManager(execute=self.iptables)
        linux_net.iptables_manager = manager
        return manager

    def start_compute(self):
        """A fresh nova-compute: new tables in memory, new driver."""
        self.conf.config(enabled=self.sgfix_enabled,
                         resync_on_start=self.resync_on_start, group='sgfix')
        self._new_iptables_manager()
        self.driver = self.driver_class()(fake_virt.FakeVirtAPI(), False)
        # Guest XML, disk images and config drives come from glance and the
        # flavor in a real cloud; the firewall never looks at them.
        self.driver._get_guest_xml = self._guest_xml
        self.driver._create_image = lambda *args, **kwargs: None
        self.driver._create_configdrive = lambda *args, **kwargs: None
        self.driver._image_api = self.snapshot_storage
        self.driver._create_snapshot_metadata = \
            lambda *args, **kwargs: {'name': 'snapshot', 'properties': {}}
        self.driver._build_device_metadata = lambda *args, **kwargs: None
        self.driver.image_backend = self.snapshot_storage
        self.driver.init_host(NODENAME)
        return self.driver

    def restart_compute(self, abort_after=None):
        """Restart the way ComputeManager.init_host and pre_start_hook do.

        Instances nova leaves out of its loop (``guest.left_out``: deleted
        in the database while nova-compute was down, or in ERROR on Rocky
        and Train, where ``_init_instance`` returns before ``plug_vifs``)
        are skipped.

        :param abort_after: raise ``InitAborted`` out of the instance loop
            after that many instances, as an exception from
            ``_init_instance`` does: the manager's ``finally`` still turns
            nova's deferral off, ``pre_start_hook`` never runs.
        """
        driver = self.start_compute()
        if self.defer_iptables_apply:
            driver.filter_defer_apply_on()
        try:
            for number, guest in enumerate(self.guests):
                if abort_after is not None and number >= abort_after:
                    raise InitAborted('_init_instance failed (injected)')
                if guest.deleted or guest.left_out:
                    continue
                driver.plug_vifs(guest.instance, guest.network_info)
                if self.power_state(guest) == power_state.RUNNING:
                    driver.ensure_filtering_rules_for_instance(
                        guest.instance, guest.network_info)
        finally:
            if self.defer_iptables_apply:
                driver.filter_defer_apply_off()
        driver.get_available_resource(NODENAME)
        return driver

    # --- guests ------------------------------------------------------------

    def _guest_xml(self, context, instance, *args, **kwargs):
        for guest in self.guests:
            if guest.instance.uuid == instance.uuid:
                return guest.domain_xml()
        raise AssertionError('no such guest: %s' % instance.uuid)

    def boot(self, rules, ip=None, ip6=None):
        """Boot a guest through nova's own filtered path."""
        number = len(self.guests) + 1
        ip = ip or '192.0.2.%d' % (9 + number)
        if self.use_ipv6:
            ip6 = ip6 or '2001:db8::%x' % (9 + number)
        mac = 'fa:16:3e:00:00:%02x' % number
        instance = fake_instance.fake_instance_obj(
            self.context, id=number, uuid=uuidutils.generate_uuid(),
            vm_state='active', power_state=power_state.RUNNING,
            image_ref='', kernel_id='', ramdisk_id='')
        instance.system_metadata = {}
        instance.pci_devices = objects.PciDeviceList(objects=[])
        for name in ('numa_topology', 'migration_context', 'trusted_certs',
                     'resources', 'vcpu_model', 'device_metadata',
                     'pci_requests'):
            if name in instance.fields:
                setattr(instance, name, None)
        network_info = make_network_info(ip, mac, ip6)
        instance.info_cache = objects.InstanceInfoCache(
            network_info=network_info, instance_uuid=instance.uuid)
        guest = Guest(instance, network_info, ip, mac, ip6)
        self.guests.append(guest)
        self.sg_rules.set(instance.uuid, rules)
        os.makedirs(libvirt_utils.get_instance_path(instance))
        self.driver._create_domain_and_network(
            self.context, guest.domain_xml(), instance, network_info)
        return guest

    def power_state(self, guest):
        return self.driver.get_info(guest.instance).state

    def runs(self, guest):
        """True if the hypervisor runs the guest's domain."""
        try:
            return self.domain(guest).isActive() == 1
        except fakelibvirt.libvirtError:
            return False

    def domain(self, guest):
        return self.hypervisor.lookupByUUIDString(guest.instance.uuid)

    def stop(self, guest):
        self.driver.power_off(guest.instance)

    def pause(self, guest):
        self.driver.pause(guest.instance)

    def unpause(self, guest):
        self.driver.unpause(guest.instance)

    def start(self, guest):
        self.driver.power_on(self.context, guest.instance, guest.network_info)

    def rescue(self, guest):
        self.driver.rescue(self.context, guest.instance, guest.network_info,
                           objects.ImageMeta.from_dict({}), 'rescue-pass')

    def unrescue(self, guest):
        self.driver.unrescue(guest.instance, guest.network_info)

    def cold_snapshot(self, guest):
        self.driver.snapshot(self.context, guest.instance, 'snapshot-image',
                             lambda *args, **kwargs: None)

    def attach_interface(self, guest, ip):
        """Attach a second interface with address ``ip``."""
        mac = 'fa:16:3e:00:01:%02x' % (len(guest.network_info) + guest.id)
        vif = make_vif(ip, mac)
        self.driver.attach_interface(self.context, guest.instance,
                                     objects.ImageMeta.from_dict({}), vif)
        guest.network_info = network_model.NetworkInfo(
            list(guest.network_info) + [vif])
        guest.instance.info_cache.network_info = guest.network_info
        return vif

    def delete(self, guest):
        self.driver.destroy(self.context, guest.instance, guest.network_info)
        guest.deleted = True

    def delete_while_down(self, guest, domain_keeps_running=False):
        """The instance was deleted while nova-compute was not running.

        :param domain_keeps_running: as with Havana's ``_local_delete``,
            which only changes the database: the domain runs on until
            ``running_deleted_instance_action`` (default ``log``) acts.
        """
        if not domain_keeps_running:
            self.domain(guest).destroy()
        guest.deleted = True

    def destroy_domain(self, guest):
        """The domain goes away outside nova (an operator, a reaper)."""
        self.domain(guest).destroy()

    def soft_reboot(self, guest):
        self.driver.reboot(self.context, guest.instance, guest.network_info,
                           'SOFT')

    def hard_reboot(self, guest):
        self.driver.reboot(self.context, guest.instance, guest.network_info,
                           'HARD')

    # --- what the kernel holds -----------------------------------------

    def kernel(self):
        return kernel_rules.parse(self.iptables.save())

    def is_filtered(self, guest):
        return kernel_rules.guest_is_filtered(self.kernel(), guest.id,
                                              guest.ip)

    def is_filtered_ip(self, guest, ip):
        return kernel_rules.guest_is_filtered(self.kernel(), guest.id, ip)

    def accepted(self, guest):
        return kernel_rules.security_group_accepts(self.kernel(), guest.id)

    def kernel6(self):
        """The namespace's IPv6 filter table (written when use_ipv6)."""
        _rc, out, _err = netns.run(self.namespace,
                                   ['ip6tables-save', '-t', 'filter'])
        return kernel_rules.parse(out)

    def is_filtered6(self, guest):
        return kernel_rules.guest_is_filtered(self.kernel6(), guest.id,
                                              guest.ip6, prefix_len=128)
