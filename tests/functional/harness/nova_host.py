"""The compute host on Rocky and Train from PyPI, built from real nova parts.

Real: nova's libvirt driver (stock, or nova-sgfix's subclass, loaded by
nova's own loader from ``compute_driver``), nova's libvirt
``IptablesFirewallDriver`` with its nwfilters, nova's ``IptablesManager``
and the kernel's iptables in a test namespace. Stand-ins only at the edges
nova's own tests use: nova's fake libvirt for the hypervisor, the
security-group rules that nova would read from its database, and the guest
XML that nova would render from images and flavors.

Everything a host does the same on every release (guests, actions, the
restart through the release's own ``ComputeManager.init_host`` and
``pre_start_hook``) is ``compute_host.ComputeHost``; this module holds only
what Rocky and Train do differently from the older trees (nova objects,
``oslo_config``, nova's unit-test fixtures, os-vif era network info). Only
the database and RPC edges of the manager are answered here: the instance
list (the harness's guests not deleted), no migrations, no compute node
record, no scheduler or placement.
"""

from __future__ import absolute_import

import fixtures
from nova.compute import manager as compute_manager
from nova.compute import power_state
from nova.compute import resource_tracker
from nova.compute import vm_states
from nova import context as nova_context
from nova import exception as nova_exception
from nova.network import linux_net
from nova.network import model as network_model  # noqa: used by tests
from nova import objects
from nova import rpc
from nova.tests.unit import fake_instance
from nova.tests.unit.virt.libvirt import fakelibvirt
from nova.virt import fake as fake_virt
from nova.virt.libvirt import driver as stock_driver
from nova.virt.libvirt import guest as guest_module
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_messaging import conffixture as messaging_conffixture
from oslo_utils import uuidutils

from nova_sgfix import conf as sgfix_conf
from tests.functional.harness import compute_host
from tests.functional.harness import compute_start
from tests.functional.harness import iptables_exec
from tests.functional.harness import kernel_rules
from tests.functional.harness import netns
from tests import nova_virt

CONF = cfg.CONF
FIREWALL = compute_host.FIREWALL
GUEST_NET = compute_host.GUEST_NET
GATEWAY = compute_host.GATEWAY
GUEST_NET6 = '2001:db8::/64'
GATEWAY6 = '2001:db8::1'
NODENAME = compute_host.NODENAME
NETWORK_ID = '3cd9a4a0-6d3c-4c8c-9d05-5e1f2d1a0b7e'

stock_driver_class = compute_host.stock_driver_class
sgfix_driver_class = compute_host.sgfix_driver_class
InitAborted = compute_start.InitAborted


def _rule_objects(rules):
    """The rules as Rocky's and Train's ``instance_rules`` reads them."""
    return objects.SecurityGroupRuleList(objects=[
        objects.SecurityGroupRule(protocol=proto, from_port=low,
                                  to_port=high, cidr=cidr,
                                  grantee_group=None)
        for proto, low, high, cidr in rules])


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


class NovaComputeHost(compute_host.ComputeHost, fixtures.Fixture):
    """A compute host whose iptables live in ``namespace``.

    :param driver_class: callable returning the driver class to run
        (``stock_driver_class`` or ``sgfix_driver_class``).
    :param use_ipv6: nova's ``use_ipv6``; guests then get an IPv6 address
        too and nova writes ip6tables as well.
    """

    #: Newton and later load only ``nova.virt.<compute_driver>``.
    COMPUTE_DRIVERS = {'stock': 'libvirt.LibvirtDriver',
                       'sgfix': 'sgfix.LibvirtDriver'}

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
        self.manager = None
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
        self.sg_rules = compute_host.SecurityGroupRules()
        self.snapshot_storage = SnapshotStorage()
        self.conf.config(disable_libvirt_livesnapshot=True,
                         group='workarounds')
        # fixtures re-wraps a patched classmethod: (cls, context, instance)
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.SecurityGroupRuleList.get_by_instance',
            lambda *args: _rule_objects(self.sg_rules.of(args[-1].uuid))))
        # nova's loader finds nova.virt.sgfix where pip puts it.
        self.useFixture(fixtures.MonkeyPatch('nova.virt.__path__',
                                             nova_virt.search_path()))
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
        self._answer_the_managers_database()
        self.restart_compute()

    def _answer_the_managers_database(self):
        """What ComputeManager's start-up reads from nova's database.

        The instances on this host are the harness's guests not deleted
        (fresh objects, as a database read gives); no evacuations; no
        compute node record yet, so no build to error out and no orphan
        node. The resource tracker's database and placement work is left
        out: nova's ``pre_start_hook`` still asks the driver for its
        resources, as the tracker does first.
        """
        self.conf.config(host=NODENAME)
        # nova's fake transport: the manager's RPC clients and notifier
        # exist, nothing listens. One per process, as in nova-compute.
        if rpc.TRANSPORT is None:
            messaging_conf = messaging_conffixture.ConfFixture(CONF)
            messaging_conf.transport_url = 'fake:/'
            self.useFixture(messaging_conf)
            rpc.init(CONF)
            self.addCleanup(rpc.cleanup)
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.InstanceList.get_by_host', self._instances_on_host))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.MigrationList.get_by_filters',
            lambda *args, **kwargs: objects.MigrationList(objects=[])))
        # No volumes (resume_guests_state_on_host_boot reads them).
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.BlockDeviceMappingList.get_by_instance_uuid',
            lambda *args, **kwargs: objects.BlockDeviceMappingList(
                objects=[])))

        def no_compute_node(*args, **kwargs):
            raise nova_exception.ComputeHostNotFound(host=NODENAME)
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.ComputeNode.get_by_host_and_nodename',
            no_compute_node))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.objects.ComputeNodeList.get_all_by_host',
            lambda *args, **kwargs: objects.ComputeNodeList(objects=[])))

        def update_available_resource(tracker, context, nodename, **kwargs):
            tracker.driver.get_available_resource(nodename)
        self.useFixture(fixtures.MockPatchObject(
            resource_tracker.ResourceTracker, 'update_available_resource',
            update_available_resource))

    def _instances_on_host(self, *args, **kwargs):
        # fixtures re-wraps a patched classmethod: (cls, context, host)
        return objects.InstanceList(objects=[
            guest.instance.obj_clone() for guest in self.guests
            if not guest.deleted])

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

    def _before_new_driver(self):
        self.conf.config(enabled=self.sgfix_enabled,
                         resync_on_start=self.resync_on_start, group='sgfix')
        self._new_iptables_manager()

    def _configure_compute_driver(self, name):
        self.conf.config(compute_driver=name)

    def _stub_driver(self, driver):
        # Guest XML, disk images and config drives come from glance and the
        # flavor in a real cloud; the firewall never looks at them.
        driver._get_guest_xml = self._guest_xml
        driver._create_image = lambda *args, **kwargs: None
        driver._create_configdrive = lambda *args, **kwargs: None
        driver._image_api = self.snapshot_storage
        driver._create_snapshot_metadata = \
            lambda *args, **kwargs: {'name': 'snapshot', 'properties': {}}
        driver._build_device_metadata = lambda *args, **kwargs: None
        driver.image_backend = self.snapshot_storage

    def start_compute(self):
        """A fresh driver and IptablesManager, initialised, no manager.

        For tests that call the driver the way a step of nova's start-up
        does; ``restart_compute`` runs nova's own start-up.
        """
        from nova.virt import driver as virt_driver
        driver = self._load_driver(virt_driver.load_compute_driver,
                                   fake_virt.FakeVirtAPI())
        driver.init_host(NODENAME)
        return driver

    def restart_compute(self, abort_after=None):
        """Stop nova-compute (``cleanup_host``) and start a new one.

        See ``compute_host.ComputeHost.restart_compute``; one in ERROR is
        left by ``_init_instance`` before ``plug_vifs``.
        """
        if self.manager is not None:
            self.manager.cleanup_host()
        return super(NovaComputeHost, self).restart_compute(abort_after)

    def _build_manager(self):
        # Placement and the scheduler are other services.
        with fixtures.MonkeyPatch(
                'nova.scheduler.client.report.SchedulerReportClient',
                lambda *args, **kwargs: compute_start.OtherService(
                    'placement')):
            return compute_manager.ComputeManager()

    # --- guests ------------------------------------------------------------

    def boot(self, rules, ip=None, ip6=None):
        """Boot a guest through nova's own filtered path."""
        if self.use_ipv6:
            ip6 = ip6 or '2001:db8::%x' % (10 + len(self.guests))
        return super(NovaComputeHost, self).boot(rules, ip, ip6)

    def _new_instance(self, number, uuid, ip, mac, ip6):
        instance = fake_instance.fake_instance_obj(
            self.context, id=number, uuid=uuid,
            host=NODENAME, node=NODENAME, vm_state=vm_states.ACTIVE,
            power_state=power_state.RUNNING, task_state=None,
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
        return instance, network_info

    def _create_domain_and_network(self, guest):
        self.driver._create_domain_and_network(
            self.context, guest.domain_xml(self.disk_of(guest)),
            guest.instance, guest.network_info)

    def runs(self, guest):
        """True if the hypervisor runs the guest's domain."""
        try:
            return self.domain(guest).isActive() == 1
        except fakelibvirt.libvirtError:
            return False

    def set_vm_state(self, guest, vm_state):
        """The instance's vm_state in nova's database (``reset-state``)."""
        guest.instance.vm_state = vm_state

    def start(self, guest):
        with self._action(guest, 'powering-on', 'active'):
            self.driver.power_on(self.context, guest.instance,
                                 guest.network_info)

    def _rescue(self, guest):
        self.driver.rescue(self.context, guest.instance, guest.network_info,
                           objects.ImageMeta.from_dict({}), 'rescue-pass')

    def unrescue(self, guest):
        with self._action(guest, 'unrescuing', 'active'):
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

    def empty_info_cache(self, guest):
        """nova's network info cache of the instance holds no interface.

        nova's start-up reads network_info from this cache.
        """
        guest.network_info = network_model.NetworkInfo([])
        guest.instance.info_cache.network_info = guest.network_info

    def delete(self, guest):
        self.driver.destroy(self.context, guest.instance, guest.network_info)
        guest.deleted = True

    def shut_off_outside_nova(self, guest):
        """The domain goes down without nova (a host crash or reboot).

        nova's database still says running: with
        ``resume_guests_state_on_host_boot`` nova's start-up starts it.
        """
        self.domain(guest).destroy()

    def destroy_domain(self, guest):
        """The domain goes away outside nova (an operator, a reaper)."""
        self.domain(guest).destroy()

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
