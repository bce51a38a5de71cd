"""Load nova-sgfix as nova-compute does, from a nova.conf.

    python tests/releases/load_driver.py --config-file nova.conf

Run as a file from outside the checkout, so that ``nova_sgfix`` and
``nova.virt.sgfix`` come from the installed package. nova parses the
configuration with ``nova.config.parse_args`` and loads ``compute_driver``
with ``nova.virt.driver.load_compute_driver``, as ``nova.cmd.compute`` and
``ComputeManager.__init__`` do; the libvirt binding is nova's own fake (the
one its unit tests use). Prints one line per check; exits 1 if any fails.
"""

from __future__ import absolute_import
from __future__ import print_function

import os
import sys


def checks(argv):
    """Yields (what, ok, detail)."""
    from nova import config
    from nova.tests.unit.virt.libvirt import fakelibvirt
    from nova.virt import driver as virt_driver
    from nova.virt import fake as fake_virt

    config.parse_args([sys.argv[0]] + argv, configure_db=False,
                      init_rpc=False)
    conf = config.CONF
    binding = fakelibvirt.FakeLibvirtFixture()
    binding.setUp()
    try:
        driver = virt_driver.load_compute_driver(fake_virt.FakeVirtAPI())
    finally:
        binding.cleanUp()
    from nova.virt.libvirt import driver as stock_driver
    from nova.virt import sgfix
    import nova_sgfix.virt.libvirt
    yield ('nova.conf names %s' % conf.compute_driver,
           conf.compute_driver == 'sgfix.LibvirtDriver', conf.compute_driver)
    yield ('load_compute_driver gives the nova-sgfix class',
           type(driver) is nova_sgfix.virt.libvirt.LibvirtDriver,
           repr(type(driver)))
    yield ("it is nova's libvirt driver underneath",
           isinstance(driver, stock_driver.LibvirtDriver), repr(type(driver)))
    site = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(sgfix.__file__))))
    yield ('nova.virt.sgfix is installed beside nova',
           os.path.abspath(virt_driver.__file__).startswith(site),
           sgfix.__file__)
    yield ('nova_sgfix is the installed package, not a checkout',
           os.path.abspath(nova_sgfix.__file__).startswith(site),
           nova_sgfix.__file__)
    yield ('firewall driver is the iptables one nova-sgfix protects',
           type(driver.firewall_driver).__name__ == 'IptablesFirewallDriver',
           type(driver.firewall_driver).__name__)
    if hasattr(virt_driver, 'is_xenapi'):
        yield ('is_xenapi() is false, as for stock libvirt',
               not virt_driver.is_xenapi(), conf.compute_driver)


def main(argv=None):
    results = list(checks(sys.argv[1:] if argv is None else argv))
    failures = [what for what, ok, _detail in results if not ok]
    for what, ok, detail in results:
        print(('ok: %s' % what) if ok else ('FAIL: %s (%s)' % (what, detail)))
    print('%d checks, %d failed' % (len(results), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
