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

from sqlalchemy import event
import sqlalchemy.pool

import nova.compute.manager  # noqa: options the bed sets
# A single module run lacks this import, and the consoleauth service needs
# it registered (GATE.md).
import nova.consoleauth.manager  # noqa
from nova import context as nova_context
from nova import db
import nova.network.manager  # noqa
import nova.tests.image.fake
from nova.tests.integrated import integrated_helpers
import nova.virt.libvirt.driver  # noqa

from tests.servicebed.steps import ApiSteps
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


class BedStack(ApiSteps, integrated_helpers._IntegratedTestBase):
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
    def networks(self):
        return db.network_get_all(self.ctxt)

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

    def image_service(self):
        return nova.tests.image.fake.FakeImageService()

    # --- what only the database knows ------------------------------
    def instance_id(self, server_id):
        return db.instance_get_by_uuid(self.ctxt, server_id)['id']
