"""``compute_driver = nova_sgfix.virt.libvirt.LibvirtDriver``.

The class keeps nova's name, so nova's suffix checks on ``compute_driver``
(``compute_driver_matches``) still see a libvirt driver.
"""

from __future__ import absolute_import

from nova_sgfix.virt.libvirt import driver

LibvirtDriver = driver.LibvirtDriver

__all__ = ['LibvirtDriver']
