"""``compute_driver = nova_sgfix.virt.libvirt.LibvirtDriver`` on a real tree.

Python 2 resolves a plain ``import libvirt`` inside a package against the
package's siblings first, so nova-sgfix's ``virt/libvirt`` package must never
stand in for the libvirt binding. This loads the driver the way nova-compute
does (``nova.virt.driver.load_compute_driver``), with the tree's fake libvirt
registered as the top-level ``libvirt`` binding, from a nova.conf parsed by
the tree's own ``nova.config.parse_args``, and checks what nova's driver
module ended up with.

    python -m tests.legacy.imports --tree grizzly
"""

from __future__ import absolute_import
from __future__ import print_function

import argparse
import importlib
import os
import sys
import tempfile

from tests.legacy import host
from tests.legacy import trees

DRIVER = 'nova_sgfix.virt.libvirt.LibvirtDriver'
FIREWALL = 'nova.virt.libvirt.firewall.IptablesFirewallDriver'


def nova_conf(tree, lock_path):
    """The lines an operator adds to nova.conf on this release."""
    sections = {None: ['compute_driver = %s' % DRIVER,
                       'firewall_driver = %s' % FIREWALL] +
                list(tree.nova_conf_defaults)}
    sections.setdefault(tree.lock_path_group, []).append(
        'lock_path = %s' % lock_path)
    text = []
    for group in sorted(sections, key=lambda name: name or ''):
        text.append('[%s]' % (group or 'DEFAULT'))
        text.extend(sections[group])
    return '\n'.join(text) + '\n'


def check(tree):
    """Yields (what, ok, detail) for each check."""
    os.environ['EVENTLET_NO_GREENDNS'] = 'yes'
    import eventlet
    eventlet.monkey_patch(os=False)
    importlib.import_module(tree.test_package)  # as in host.bootstrap
    host.register_objects()

    from nova.virt.libvirt import driver as nova_driver
    import nova_sgfix.virt.libvirt
    ours = os.path.dirname(os.path.abspath(nova_sgfix.virt.libvirt.__file__))
    binding = sys.modules.get('libvirt')
    yield ('importing %s leaves no top-level libvirt module behind' % DRIVER,
           binding is None, repr(binding))
    yield ("nova's driver module has no binding before the driver starts",
           nova_driver.libvirt is None, repr(nova_driver.libvirt))

    fakelibvirt = tree.load_fakelibvirt()
    sys.modules['libvirt'] = fakelibvirt
    from nova import config
    from nova.network import linux_net
    from nova.virt import driver as virt_driver
    from nova.virt import fake as fake_virt
    # A nova.conf as an operator writes it, parsed the way nova-compute's
    # main() does (nova.config.parse_args), no /etc/nova files.
    conf_dir = tempfile.mkdtemp(prefix='sgfix-legacy-conf-')
    conf_file = os.path.join(conf_dir, 'nova.conf')
    with open(conf_file, 'w') as out:
        out.write(nova_conf(tree, conf_dir))
    try:
        config.parse_args(['nova-compute', '--config-file', conf_file],
                          default_config_files=[])
    finally:
        os.unlink(conf_file)
        os.rmdir(conf_dir)
    conf = tree.cfg()
    yield ('nova.conf sets compute_driver = %s' % DRIVER,
           conf.compute_driver == DRIVER, conf.compute_driver)

    def refuse(*args, **kwargs):
        raise AssertionError('nova tried to run %r on the host' % (args,))
    linux_net.iptables_manager = linux_net.IptablesManager(execute=refuse)
    driver = virt_driver.load_compute_driver(fake_virt.FakeVirtAPI())
    yield ('load_compute_driver gives the nova-sgfix class',
           type(driver) is nova_sgfix.virt.libvirt.LibvirtDriver,
           repr(type(driver)))
    module_file = os.path.abspath(getattr(nova_driver.libvirt, '__file__',
                                          ''))
    yield ("nova's driver imported the binding, not nova-sgfix's package",
           nova_driver.libvirt is fakelibvirt and
           not module_file.startswith(ours), module_file)
    if tree.has_driver_matches:
        yield ("compute_driver_matches('libvirt.LibvirtDriver') stays true",
               bool(virt_driver.compute_driver_matches(
                   'libvirt.LibvirtDriver')), conf.compute_driver)
    yield ('firewall driver is the iptables one nova-sgfix protects',
           type(driver.firewall_driver).__name__ == 'IptablesFirewallDriver',
           type(driver.firewall_driver).__name__)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tree', required=True, choices=sorted(trees.TREES))
    args = parser.parse_args(argv)
    failed = 0
    for what, ok, detail in check(trees.get(args.tree)):
        print('%s: %s%s' % ('ok' if ok else 'FAIL', what,
                            '' if ok else ' (%s)' % detail))
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
