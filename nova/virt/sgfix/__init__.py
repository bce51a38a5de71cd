"""``compute_driver = sgfix.LibvirtDriver`` for Newton 14 to Train 20.

From Newton on nova imports only ``nova.virt.<compute_driver>``, so the
package installs this module beside nova's own drivers (the nova-dpm
pattern). It is only a second name for the same class; nova's ``nova`` and
``nova/virt`` packages are nova's, and this package adds no file to them.
"""

from __future__ import absolute_import

from nova_sgfix.virt.libvirt import LibvirtDriver

__all__ = ['LibvirtDriver']
