"""The guest XML nova would render from the image and the flavor.

Both harnesses (PyPI nova and the Grizzly/Havana trees) define their guests
in nova's fake hypervisor with it; the firewall never reads it, but the
interface carries nova's nwfilter reference as a real guest's does.
"""

from __future__ import absolute_import

TEMPLATE = """<domain type='kvm'>
  <name>%(name)s</name>
  <uuid>%(uuid)s</uuid>
  <memory>131072</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='%(disk)s'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='%(mac)s'/>
      <source bridge='br100'/>
      <target dev='tap%(short)s'/>
      <filterref filter='nova-instance-%(name)s-%(macnc)s'>
        <parameter name='IP' value='%(ip)s'/>
        <parameter name='DHCPSERVER' value='%(gateway)s'/>
      </filterref>
    </interface>
  </devices>
</domain>
"""


def render(name, uuid, mac, ip, gateway, disk):
    """One guest with one bridged interface on nova-network's br100."""
    return TEMPLATE % {'name': name, 'uuid': uuid, 'mac': mac,
                       'macnc': mac.replace(':', ''), 'ip': ip,
                       'short': uuid[:11], 'gateway': gateway, 'disk': disk}
