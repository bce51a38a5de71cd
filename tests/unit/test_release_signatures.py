"""nova-sgfix against the libvirt driver signatures of every release.

Reads ``nova/virt/libvirt/driver.py`` at each tag from a nova git mirror
(``$NOVA_GIT_DIR``, else ``/work/.mirror/openstack+nova/repo``; the tests
skip without one) and binds nova-sgfix's overrides and ``compat`` helpers
to the calls nova makes there. Nothing of nova is kept: each signature is
compiled into an empty function of the same parameters.
"""

from __future__ import absolute_import

import inspect
import os
import re
import subprocess

import testtools

from nova_sgfix import compat
from tests.unit import fakes

TAGS = ('2013.1.5', '2013.2.4', '2014.1.5', '2014.2.4', '2015.1.4',
        '12.0.6', '13.1.4', '15.1.5', '18.3.0', '20.6.1')
GUARDED = ('reboot', 'unpause', 'rescue', 'unrescue', 'snapshot',
           'attach_interface', 'refresh_instance_security_rules',
           'init_host', 'plug_vifs', 'get_available_resource',
           'filter_defer_apply_off', '_create_domain')
GIT_DIR = os.environ.get('NOVA_GIT_DIR', '/work/.mirror/openstack+nova/repo')


_SOURCES = {}


def _source(tag):
    if tag not in _SOURCES:
        _SOURCES[tag] = _read(tag)
    return _SOURCES[tag]


def _read(tag):
    try:
        return subprocess.check_output(
            ['git', '--git-dir', GIT_DIR, 'show',
             '%s:nova/virt/libvirt/driver.py' % tag],
            stderr=subprocess.STDOUT).decode('utf-8')
    except (OSError, subprocess.CalledProcessError):
        return None


def _signature(source, name):
    """An empty function with the parameters of ``LibvirtDriver.<name>``."""
    match = re.search(r'\n    def %s\((.*?)\):' % re.escape(name), source,
                      re.DOTALL)
    if match is None:
        return None
    namespace = {}
    exec('def %s(%s):\n    pass\n' % (name, match.group(1)), namespace)
    return namespace[name]


def _names(function):
    if hasattr(inspect, 'getfullargspec'):
        return inspect.getfullargspec(function).args
    return inspect.getargspec(function).args


class ReleaseSignaturesTest(testtools.TestCase):

    def setUp(self):
        super(ReleaseSignaturesTest, self).setUp()
        if not os.path.isdir(GIT_DIR):
            self.skipTest('no nova git mirror at %s' % GIT_DIR)
        self.sources = dict((tag, _source(tag)) for tag in TAGS)
        missing = [tag for tag, text in self.sources.items() if not text]
        if missing:
            self.skipTest('the mirror lacks %s' % ', '.join(missing))

    def _ours(self, name):
        from nova_sgfix.virt.libvirt import driver
        return getattr(driver.LibvirtDriver, name)

    def test_every_override_binds_the_call_each_release_makes(self):
        for tag, source in sorted(self.sources.items()):
            for name in GUARDED:
                theirs = _signature(source, name)
                if theirs is None:
                    continue
                params = _names(theirs)[1:]
                ours = compat._unwrapped(self._ours(name))
                values = [object() for _param in params]
                # nova's callers pass arguments both ways.
                inspect.getcallargs(ours, object(), *values)
                inspect.getcallargs(ours, object(),
                                    **dict(zip(params, values)))

    def test_hard_reboot_call_matches_every_release(self):
        # The guarded soft reboot of a stopped guest calls
        # _hard_reboot(context, instance, network_info, block_device_info).
        for tag, source in sorted(self.sources.items()):
            names = _names(_signature(source, '_hard_reboot'))
            self.assertEqual(
                (tag, ['self', 'context', 'instance', 'network_info',
                       'block_device_info']), (tag, names[:5]))

    def test_create_domain_names_the_instance_in_every_release(self):
        uuid = '6f1e5a3c-0d2b-4c8e-9a71-2b3c4d5e6f70'
        xml = '<domain><name>instance-1</name><uuid>%s</uuid></domain>' % uuid
        instance = fakes.instance()
        for tag, source in sorted(self.sources.items()):
            signature = _signature(source, '_create_domain')
            takes_instance = 'instance' in _names(signature)
            self.assertEqual(
                (tag, tag.startswith(('2013.', '2014.', '2015.'))),
                (tag, takes_instance))
            # rescue: _create_domain(xml), in every release.
            self.assertEqual((tag, {'uuid': uuid}), (
                tag, compat.create_domain_instance(signature, (xml,), {})))
            if takes_instance:  # _create_domain_and_network, to Kilo
                self.assertIs(instance, compat.create_domain_instance(
                    signature, (xml,), {'instance': instance}))

    def test_attach_interface_gives_instance_and_vif_in_every_release(self):
        for tag, source in sorted(self.sources.items()):
            signature = _signature(source, 'attach_interface')
            params = _names(signature)[1:]
            values = dict((name, name) for name in params)
            values.update(instance='inst', network_info=['vif-a', 'vif-b'])
            args = tuple(values[name] for name in params)
            instance, vifs = compat.attach_interface_args(signature, args,
                                                          {})
            expected = ['vif'] if 'vif' in params else ['vif-a', 'vif-b']
            self.assertEqual((tag, 'inst', expected), (tag, instance, vifs))
