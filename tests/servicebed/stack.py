"""A release's own nova service stack, in-process, on the bed's libvirtd.

``BedStack`` is nova's ``nova.tests.integrated`` base test case of the tree
under test (Grizzly 2013.1.5, Havana 2013.2.4): conductor, compute, cert,
consoleauth, network (FlatDHCPManager, for real: its bridge, dnsmasq and
iptables land in the bed's host namespace), scheduler, cells and
osapi_compute over HTTP, on sqlite and nova's fake rpc. The bed adds only
what the tree cannot know: the driver under test, the guest's images, a
small flavor, one network, and a compute restart that is nova's own (stop
the service, drop the process's IptablesManager, start a new service under
the same host name so that ``init_host`` and ``_init_instance`` decide).
"""

from __future__ import print_function

import os
import time

from sqlalchemy import event
import sqlalchemy.pool

import nova.compute.manager  # noqa: options the bed sets
# A single module run lacks this import, and the consoleauth service needs
# it registered (GATE.md).
import nova.consoleauth.manager  # noqa
from nova import context as nova_context
from nova import db
from nova.network import linux_net
import nova.network.manager  # noqa
import nova.tests.image.fake
from nova.tests.integrated import integrated_helpers
import nova.virt.libvirt.driver  # noqa

from tests.servicebed import hypervisor
from tests.servicebed.workarounds import patch_nwfilter_uuid

DRIVERS = {
    'stock': 'libvirt.LibvirtDriver',
    'sgfix': 'nova_sgfix.virt.libvirt.LibvirtDriver',
}


@event.listens_for(sqlalchemy.pool.Pool, 'connect')
def _legacy_alter_table(dbapi_connection, connection_record):
    # SQLite 3.26+ rewrites references on ALTER TABLE RENAME, which breaks
    # sqlalchemy-migrate's table-copy emulation (migration 147 on Debian
    # 12's SQLite 3.40: NoSuchTableError migration_tmp).
    try:
        dbapi_connection.execute('PRAGMA legacy_alter_table=ON')
    except Exception:
        pass


class BedStack(integrated_helpers._IntegratedTestBase):
    _api_version = 'v2'
    _image_ref_parameter = 'imageRef'
    _flavor_ref_parameter = 'flavorRef'

    #: set by the runner before the case runs
    driver = 'stock'
    kernel = ramdisk = workdir = None
    soft_reboot_wait = 20

    def _get_flags(self):
        f = super(BedStack, self)._get_flags()
        f.update({
            'compute_driver': DRIVERS[self.driver],
            'libvirt_type': 'qemu',
            'use_cow_images': False,
            'libvirt_inject_partition': -2,
            'libvirt_wait_soft_reboot_seconds': self.soft_reboot_wait,
            'instances_path': self.workdir + '/instances',
            'networks_path': self.workdir + '/networks',
            'network_manager': 'nova.network.manager.FlatDHCPManager',
            'fake_network': False,
            'flat_network_bridge': 'br100',
            'dhcpbridge': '/bin/true',
            'force_dhcp_release': False,
            'resume_guests_state_on_host_boot': False,
            'use_ipv6': False,
            # Real guests: a soft reboot waits, a spawn downloads images.
            'rpc_response_timeout': 600,
            'rpc_cast_timeout': 600,
        })
        return f

    def runTest(self):
        """The runner drives the case through ``bed_*`` methods."""

    def setUp(self):
        if not os.path.isdir(self.workdir + '/instances'):
            os.makedirs(self.workdir + '/instances')
        patch_nwfilter_uuid()
        super(BedStack, self).setUp()
        self.ctxt = nova_context.get_admin_context()
        self._create_network()
        self.image_id = self._create_images()
        self.flavor_id = self._create_flavor()

    # --- set-up ---------------------------------------------------------
    def _create_network(self):
        manager = self.network.manager
        manager.create_networks(
            self.ctxt, label='bed', cidr=hypervisor.FIXED_CIDR,
            multi_host=False, num_networks=1, network_size=256,
            bridge='br100', bridge_interface=None)
        for net in db.network_get_all(self.ctxt):
            manager.set_network_host(self.ctxt, net)

    def _create_flavor(self):
        """A 128 MB flavor with no root disk to resize.

        Its timestamps are cleared, as the migrations' own flavors have
        them: nova's fake rpc refuses a datetime in a message.
        """
        from nova.db.sqlalchemy import api as sa_api
        from nova.db.sqlalchemy import models
        try:
            from nova.compute import flavors
        except ImportError:     # Grizzly
            from nova.compute import instance_types as flavors
        flavors.create('bed.tiny', 128, 1, 0, flavorid='bed')
        session = sa_api.get_session()
        session.query(models.InstanceTypes).filter_by(
            flavorid='bed').update({'created_at': None, 'updated_at': None})
        return 'bed'

    def _create_images(self):
        service = nova.tests.image.fake.FakeImageService()

        def create(name, fmt, path=None, properties=None):
            meta = {'name': name, 'status': 'active', 'is_public': True,
                    'disk_format': fmt, 'container_format': fmt,
                    'properties': properties or {}}
            if path is None:
                return service.create(self.ctxt, meta,
                                      _Data('\0' * (1024 * 1024)))['id']
            with open(path, 'rb') as data:
                return service.create(self.ctxt, meta, data)['id']

        kernel = create('bed-kernel', 'aki', self.kernel)
        ramdisk = create('bed-ramdisk', 'ari', self.ramdisk)
        return create('bed-guest', 'ami', None,
                      {'kernel_id': kernel, 'ramdisk_id': ramdisk})

    # --- the REST API ---------------------------------------------------
    def create_security_group(self, name, port, cidr):
        group = self.api.api_post('/os-security-groups', {
            'security_group': {'name': name, 'description': name}})
        group = group['security_group']
        self.api.api_post('/os-security-group-rules', {
            'security_group_rule': {
                'parent_group_id': group['id'], 'ip_protocol': 'tcp',
                'from_port': port, 'to_port': port, 'cidr': cidr}})
        return group

    def boot(self, name, group):
        server = self.api.post_server({'server': {
            'name': name, 'imageRef': self.image_id,
            'flavorRef': self.flavor_id,
            'security_groups': [{'name': group}]}})
        return server['id']

    def action(self, server_id, body):
        return self.api.post_server_action(server_id, body)

    def wait_status(self, server_id, status, timeout=300):
        deadline = time.time() + timeout
        while True:
            server = self.api.get_server(server_id)
            if server['status'] == status:
                return server
            if server['status'] == 'ERROR' or time.time() > deadline:
                raise AssertionError('server %s is %s, wanted %s' % (
                    server_id, server['status'], status))
            time.sleep(1)

    def fixed_ip(self, server_id):
        addresses = self.api.get_server(server_id)['addresses']
        for ips in addresses.values():
            for ip in ips:
                return ip['addr']

    def instance_id(self, server_id):
        return db.instance_get_by_uuid(self.ctxt, server_id)['id']

    def delete_while_down(self, server_id):
        """DELETE through the API while nova-compute is stopped.

        The API finds the service down and deletes the instance from the
        database only (``_local_delete``): its domain keeps running. The
        service counts as down once its last heartbeat is older than
        ``service_down_time``, lowered for this call only.
        """
        self.flags(service_down_time=1)
        try:
            time.sleep(2)
            self.api.delete_server(server_id)
            deadline = time.time() + 60
            while any(s['id'] == server_id for s in self.api.get_servers()):
                if time.time() > deadline:
                    raise AssertionError('server %s was not deleted'
                                         % server_id)
                time.sleep(1)
        finally:
            self.flags(service_down_time=60)

    # --- nova-compute restart -------------------------------------------
    def stop_compute(self):
        self.compute.stop()

    def start_compute(self, fail_init_for=None):
        """A new compute service, same host name, fresh IptablesManager.

        :param fail_init_for: uuid of an instance whose ``_init_instance``
            raises (nova's own method, wrapped; every other instance goes
            through it unchanged), with ``defer_iptables_apply = True``.
            The start then fails as nova's would; returns the order in
            which ``_init_instance`` was entered.
        """
        linux_net.iptables_manager = linux_net.IptablesManager()
        host = self.compute.host
        if fail_init_for is None:
            self.compute = self.start_service('compute', host=host)
            return None
        manager = nova.compute.manager.ComputeManager
        original = manager.__dict__['_init_instance']
        entered = []

        def init_instance(self_, context, instance):
            entered.append(instance['uuid'])
            if instance['uuid'] == fail_init_for:
                raise InitFailure('injected: _init_instance of %s raises'
                                  % fail_init_for)
            return original(self_, context, instance)

        manager._init_instance = init_instance
        self.flags(defer_iptables_apply=True)
        try:
            self.start_service('compute', host=host)
        except Exception as exc:
            # fixtures may wrap it (MultipleExceptions, SetupError)
            if 'injected: _init_instance' not in repr(exc):
                raise
        else:
            raise AssertionError('compute started although its '
                                 '_init_instance raised')
        finally:
            manager._init_instance = original
            self.flags(defer_iptables_apply=False)
        return entered

    def restart_compute(self):
        self.stop_compute()
        self.start_compute()


class InitFailure(Exception):
    """The fault the bed injects into one ``_init_instance``."""


class _Data(object):
    def __init__(self, text):
        self.text = text

    def read(self):
        return self.text
