"""Rocky's and Train's own nova service stack, in-process, on the bed.

``BedStack`` is the release's ``nova.tests.functional`` base test case
(``_IntegratedTestBase``, nova-network: ``USE_NEUTRON = False``): conductor,
scheduler, compute, network (FlatDHCPManager, for real in the bed's host
namespace), placement and osapi_compute (v2.1, over HTTP through
wsgi-intercept), on sqlite with cells v2 and oslo.messaging's fake driver.
nova-sgfix is put in place as Rocky and Train load a driver:
``compute_driver = sgfix.LibvirtDriver``, imported as ``nova.virt.sgfix``;
the bed adds this checkout's ``nova/virt`` to ``nova.virt``'s search path,
the layout ``pip install`` gives (tests/nova_virt.py).

The bed changes nova's test framework only where it stands in for what a
compute node has and a unit test must not touch, and says so at each place:
root in the namespace (nova's ServiceFixture mocks ``IptablesManager._apply``
and the privsep helpers refuse to start), a real libvirtd (nova poisons the
libvirt event thread), and the guest's images and flavor.
"""

from __future__ import print_function

import os

import fixtures
import mock  # noqa: H216 (the one nova.test patches and uses)
from nova import context as nova_context
from nova import objects
import nova.privsep
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional import integrated_helpers
import nova.tests.unit.image.fake

from tests import nova_virt
from tests.servicebed import hypervisor
from tests.servicebed.steps import ApiSteps
from tests.servicebed import workarounds

FIREWALL = 'nova.virt.libvirt.firewall.IptablesFirewallDriver'
DRIVERS = {
    'stock': 'libvirt.LibvirtDriver',
    'sgfix': 'sgfix.LibvirtDriver',
}


def _service_fixture_use_fixture(original):
    """nova's ServiceFixture, less its one mock.

    It patches ``IptablesManager._apply`` away for every service ("we don't
    have root to manipulate iptables"); the bed has root in its own
    namespace, and a restart's first apply is what drops the chains.
    """
    def use_fixture(self, fixture):
        if isinstance(fixture, fixtures.MockPatch):
            return fixture
        return original(self, fixture)
    return use_fixture


def _bridge_made_by_the_operator():
    """br100, made before nova-network starts, as a Train host needs it.

    Train's ``LinuxBridgeInterfaceDriver.ensure_bridge`` unpacks
    ``out, err`` from ``nova.privsep.linux_net.add_bridge``, which returns
    None: nova-network 20.6.1 cannot make a missing bridge (TypeError) and
    only uses one that exists. Rocky's makes it; one that exists is what
    both use.
    """
    if not os.path.exists('/sys/class/net/br100'):
        hypervisor.sh('ip', 'link', 'add', 'br100', 'type', 'bridge')
        hypervisor.sh('ip', 'link', 'set', 'br100', 'up')


class BedStack(ApiSteps, integrated_helpers._IntegratedTestBase):
    api_major_version = 'v2.1'
    ADMIN_API = True        # flavors and os-resetState are admin calls
    USE_NEUTRON = False

    #: set by the runner before the case runs
    driver = 'stock'
    kernel = ramdisk = workdir = api_paste = None
    soft_reboot_wait = 20

    def runTest(self):
        """The runner drives the case through the bed's methods."""

    def _edges(self):
        """Started before nova's framework sets up its services."""
        patches = [
            mock.patch.object(nova_fixtures.ServiceFixture, 'useFixture',
                              _service_fixture_use_fixture(
                                  nova_fixtures.ServiceFixture.useFixture)),
            # The real libvirtd's events are not needed; nova poisons the
            # thread so that a unit test never starts it.
            mock.patch('nova.virt.libvirt.host.Host._init_events'),
        ]
        # Hairpin mode writes /sys/class/net/<bridge>/brif/<tap>, which this
        # process (in the namespace by setns, /sys not remounted) does not
        # see; the bed's guests need no hairpin.
        from nova.virt.libvirt import driver as libvirt_driver
        from nova.virt.libvirt import guest as libvirt_guest
        for owner, name in ((libvirt_guest.Guest, 'enable_hairpin'),
                            (libvirt_driver.LibvirtDriver,
                             '_enable_hairpin')):
            if hasattr(owner, name):
                patches.append(mock.patch.object(owner, name))
        for patch in patches:
            patch.start()
            self.addCleanup(patch.stop)

    def _privsep_in_process(self):
        """Run privsep'd calls in this (root) process, as nova's fixture does.

        nova's tests refuse to start the privsep helper
        (PrivsepNoHelperFixture); ``PrivsepFixture`` is nova's own way to
        run the decorated functions directly. os-vif's linux-bridge plugin
        has a context of its own.
        """
        contexts = [nova.privsep.sys_admin_pctxt]
        try:
            from vif_plug_linux_bridge import privsep as lb_privsep
            contexts.append(lb_privsep.vif_plug)
        except ImportError:
            pass
        for context in contexts:
            self.useFixture(fixtures.MockPatchObject(
                context, 'client_mode', False))

    def setUp(self):
        if not os.path.isdir(self.workdir + '/instances'):
            os.makedirs(self.workdir + '/instances')
        # nova.virt.sgfix from this checkout, where pip would install it.
        import nova.virt
        nova.virt.__path__ = nova_virt.search_path()
        self._edges()
        workarounds.patch_qemu_img_decimal_sizes()
        workarounds.patch_cell_targeting_reentrant()
        super(BedStack, self).setUp()
        self.image_id = self._create_images()
        self.flavor_id = self._create_flavor()

    def _setup_services(self):
        self._privsep_in_process()
        self.flags(compute_driver=DRIVERS[self.driver],
                   instances_path=self.workdir + '/instances',
                   networks_path=self.workdir + '/networks',
                   state_path=self.workdir,
                   use_cow_images=False,
                   network_manager='nova.network.manager.FlatDHCPManager',
                   # Pike on default to the no-op firewall: a nova-network
                   # operator names the iptables one (README, nova.conf).
                   firewall_driver=FIREWALL,
                   # nova's test config fakes the network (no dnsmasq)
                   fake_network=False,
                   flat_network_bridge='br100',
                   dhcpbridge='/bin/true',
                   force_dhcp_release=False,
                   resume_guests_state_on_host_boot=False,
                   use_ipv6=False,
                   # Real guests: a soft reboot waits, a spawn converts images.
                   rpc_response_timeout=600)
        self.flags(virt_type='qemu', inject_partition=-2,
                   wait_soft_reboot_seconds=self.soft_reboot_wait,
                   group='libvirt')
        # The wheel has no etc/nova/api-paste.ini: the runner takes the
        # release's from its git tag.
        self.flags(api_paste_config=self.api_paste, group='wsgi')
        _bridge_made_by_the_operator()
        # nova-compute's main (nova.cmd.compute) loads os-vif's plugins
        # before it starts the service; in-process, the bed does it.
        import os_vif
        os_vif.initialize()
        super(BedStack, self)._setup_services()
        self.ctxt = nova_context.get_admin_context()
        self._create_network()

    def start_service(self, name, host=None, **kwargs):
        """nova's start_service; a restarted compute keeps its HostMapping.

        Rocky's makes the host's cell mapping on every compute start, so a
        second start of the same host fails on its UNIQUE constraint; nova
        keeps an existing one from Train on (commit 2794748d9c, "Enhance
        service restart in functional env"), as a real restart does: the
        mapping is nova-manage's, not nova-compute's.
        """
        mapped = getattr(self, 'host_mappings', {})
        if name == 'compute' and (host or name) in mapped:
            with mock.patch.object(objects.HostMapping, 'create'):
                return super(BedStack, self).start_service(
                    name, host=host, **kwargs)
        return super(BedStack, self).start_service(name, host=host, **kwargs)

    # --- set-up ---------------------------------------------------------
    def networks(self):
        return objects.NetworkList.get_all(self.ctxt)

    def _create_flavor(self):
        """A 128 MB flavor with no root disk to resize."""
        self.api.post_flavor({'flavor': {
            'name': 'bed.tiny', 'ram': 128, 'vcpus': 1, 'disk': 0,
            'id': 'bed'}})
        return 'bed'

    def image_service(self):
        return nova.tests.unit.image.fake.FakeImageService()

    # --- what only the database knows ------------------------------------
    def instance_id(self, server_id):
        cell = self.cell_mappings['cell1']
        with nova_context.target_cell(self.ctxt, cell) as cctxt:
            return objects.Instance.get_by_uuid(cctxt, server_id).id

    def delete_while_down(self, server_id):
        """DELETE through the API while nova-compute is stopped.

        As on Grizzly and Havana, the API must find the service down and
        delete the instance from the database only (``_local_delete``).
        Rocky's and Train's servicegroup driver reads ``service_down_time``
        once, when the API starts; the operator's way to tell the API that
        a stopped nova-compute is down is ``forced_down`` (API 2.11), set
        for this call only.
        """
        host = self.compute.host
        saved, self.api.microversion = self.api.microversion, '2.11'
        try:
            self.api.force_down_service(host, 'nova-compute', True)
            try:
                self.delete_and_wait(server_id)
            finally:
                self.api.force_down_service(host, 'nova-compute', False)
        finally:
            self.api.microversion = saved
