"""``nova.virt.sgfix`` for tests, installed or from this checkout.

pip installs ``nova/virt/sgfix`` beside nova's drivers; a source checkout
on ``PYTHONPATH`` holds it in its own ``nova/virt``, which Python does not
search for ``nova.virt.*``. Adding that folder to ``nova.virt``'s search
path gives the layout pip gives.
"""

from __future__ import absolute_import

import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def search_path():
    """``nova.virt.__path__``, plus the checkout's if sgfix is missing."""
    import nova.virt
    path = list(nova.virt.__path__)
    if not any(os.path.isfile(os.path.join(entry, 'sgfix', '__init__.py'))
               for entry in path):
        path.append(os.path.join(TOP, 'nova', 'virt'))
    return path


def driver_class(name='sgfix.LibvirtDriver'):
    """The class ``compute_driver = <name>`` names, looked up as nova does.

    ``load_compute_driver`` calls ``importutils.import_object('nova.virt.'
    + compute_driver, virtapi)``, i.e. ``import_class`` and a call.
    """
    import nova.virt
    from oslo_utils import importutils
    nova.virt.__path__ = search_path()
    return importutils.import_class('nova.virt.%s' % name)
