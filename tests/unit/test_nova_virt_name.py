"""``compute_driver = sgfix.LibvirtDriver`` through nova's own loader.

Newton and later import only ``nova.virt.<compute_driver>``; the package
installs ``nova/virt/sgfix`` for them (``tests.nova_virt`` finds the
checkout's where it is not installed).
"""

from __future__ import absolute_import

import sys

import fixtures
import testtools

from nova_sgfix import compat
from nova_sgfix import exception
from tests import nova_virt


class NovaVirtNameTest(testtools.TestCase):

    def setUp(self):
        super(NovaVirtNameTest, self).setUp()
        self.useFixture(fixtures.MonkeyPatch('nova.virt.__path__',
                                             nova_virt.search_path()))
        self.addCleanup(sys.modules.pop, 'nova.virt.sgfix', None)
        from oslo_config import cfg
        from oslo_config import fixture as config_fixture
        self.conf = self.useFixture(config_fixture.Config(cfg.CONF))

    def _configure_libvirt_host(self):
        if not compat.has_firewall_driver():
            self.skipTest('this nova has no nova-network firewall')
        from nova.tests.unit.virt.libvirt import fakelibvirt
        self.useFixture(fakelibvirt.FakeLibvirtFixture())
        lock_path = self.useFixture(fixtures.TempDir()).path
        self.conf.config(lock_path=lock_path, group='oslo_concurrency')
        self.conf.config(
            use_neutron=False,
            firewall_driver='nova.virt.libvirt.firewall.'
                            'IptablesFirewallDriver')

    def test_module_is_only_a_second_name_for_the_driver_class(self):
        import nova_sgfix.virt.libvirt
        try:
            from nova.virt import sgfix
        except exception.FirewallDriverUnavailable:
            self.fail('importing the module must not construct a driver')
        self.assertIs(nova_sgfix.virt.libvirt.LibvirtDriver,
                      sgfix.LibvirtDriver)
        public = sorted(name for name in vars(sgfix)
                        if not name.startswith('_') and
                        name not in ('absolute_import',))
        self.assertEqual(['LibvirtDriver'], public)

    def test_nova_conf_name_loads_nova_sgfix_through_nova_loader(self):
        self._configure_libvirt_host()
        from nova.virt import driver as virt_driver
        from nova.virt.libvirt import driver as stock_driver
        from nova_sgfix.virt.libvirt import driver as sgfix_driver
        self.conf.config(compute_driver='sgfix.LibvirtDriver')
        loaded = virt_driver.load_compute_driver(None)
        self.assertIs(sgfix_driver.LibvirtDriver, type(loaded))
        self.assertIsInstance(loaded, stock_driver.LibvirtDriver)
        self.assertEqual('IptablesFirewallDriver',
                         type(loaded.firewall_driver).__name__)

    def test_explicit_name_loads_the_same_class(self):
        self._configure_libvirt_host()
        from nova.virt import driver as virt_driver
        from nova_sgfix.virt.libvirt import driver as sgfix_driver
        loaded = virt_driver.load_compute_driver(None, 'sgfix.LibvirtDriver')
        self.assertIs(sgfix_driver.LibvirtDriver, type(loaded))

    def test_compute_driver_checks_of_this_nova_still_see_libvirt(self):
        # Grizzly..Liberty have compute_driver_matches() (suffix, XenAPI
        # only); Mitaka..Train replaced it by is_xenapi() (equality).
        from nova.virt import driver as virt_driver
        self.conf.config(compute_driver='sgfix.LibvirtDriver')
        checks = 0
        if hasattr(virt_driver, 'compute_driver_matches'):
            checks += 1
            self.assertFalse(
                virt_driver.compute_driver_matches('xenapi.XenAPIDriver'))
        if hasattr(virt_driver, 'is_xenapi'):
            checks += 1
            self.assertFalse(virt_driver.is_xenapi())
        if not checks:
            self.skipTest('this nova checks compute_driver nowhere')

    def test_nova_without_firewall_refuses_clearly_through_the_name(self):
        if compat.has_firewall_driver():
            self.skipTest('this nova still carries the firewall driver')
        from nova.virt import driver as virt_driver
        error = self.assertRaises(exception.FirewallDriverUnavailable,
                                  virt_driver.load_compute_driver, None,
                                  'sgfix.LibvirtDriver')
        self.assertIn('not needed', str(error))
        self.assertIn(compat.nova_version(), str(error))
