"""On a nova without the nova-network firewall, one clear refusal."""

from __future__ import absolute_import

try:
    from unittest import mock
except ImportError:  # Python 2.7
    import mock  # noqa: H216
import testtools

from nova_sgfix import compat
from nova_sgfix import exception


class WithoutFirewallDriverTest(testtools.TestCase):

    def _construct(self):
        from nova_sgfix.virt.libvirt import LibvirtDriver
        return LibvirtDriver(mock.sentinel.virtapi)

    def test_construction_says_the_package_is_not_needed(self):
        with mock.patch.object(compat, 'has_firewall_driver',
                               return_value=False):
            error = self.assertRaises(exception.FirewallDriverUnavailable,
                                      self._construct)
        self.assertIn('not needed', str(error))
        self.assertIn('21.0.0', str(error))
        self.assertIn('compute_driver = libvirt.LibvirtDriver', str(error))

    def test_this_nova_is_detected_as_it_is(self):
        try:
            import nova.virt.firewall  # noqa
            expected = True
        except ImportError:
            expected = False
        self.assertEqual(expected, compat.has_firewall_driver())

    def test_real_nova_without_firewall_refuses_with_its_version(self):
        if compat.has_firewall_driver():
            self.skipTest('this nova still carries the firewall driver')
        error = self.assertRaises(exception.FirewallDriverUnavailable,
                                  self._construct)
        self.assertIn(compat.nova_version(), str(error))
