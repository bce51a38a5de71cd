"""What differs between the Grizzly and Havana trees, for the harness only.

Grizzly's compute manager hands the libvirt driver dict instances and the
legacy ``[(network, mapping)]`` network_info; Havana's hands it Instance
objects (dicts for rescue) and the NetworkInfo model. The driver methods the
harness calls directly also changed signature (``context`` first in Havana).
"""

from __future__ import absolute_import

import importlib

GATEWAY = '192.0.2.1'
GUEST_NET = '192.0.2.0/24'
NETWORK_ID = '3cd9a4a0-6d3c-4c8c-9d05-5e1f2d1a0b7e'


def network_model_info(ip, mac, vif_id):
    """One nova-network interface on br100 (never created: no host change)."""
    from nova.network import model
    subnet = model.Subnet(
        cidr=GUEST_NET, gateway=model.IP(address=GATEWAY, type='gateway'),
        ips=[model.FixedIP(address=ip)], dns=[], routes=[])
    subnet['meta']['dhcp_server'] = GATEWAY
    network = model.Network(id=NETWORK_ID, bridge='br100', label='private',
                            subnets=[subnet])
    network['meta']['should_create_bridge'] = False
    vif = model.VIF(id=vif_id, address=mac, network=network, type='bridge',
                    devname='tap' + vif_id[:11])
    return model.NetworkInfo([vif])


class Tree(object):
    name = None
    fakelibvirt = None

    def load_fakelibvirt(self):
        return importlib.import_module(self.fakelibvirt)

    def driver_network_info(self, model_info):
        """network_info as this tree's compute manager passes it."""
        return model_info


class Grizzly(Tree):
    name = 'grizzly'
    fakelibvirt = 'nova.tests.fakelibvirt'

    def make_instance(self, context, number, uuid, model_info):
        return {
            'id': number, 'uuid': uuid, 'name': 'instance-%08x' % number,
            'host': 'compute1', 'vm_state': 'active', 'power_state': 1,
            'task_state': None, 'image_ref': '', 'kernel_id': '',
            'ramdisk_id': '', 'root_device_name': '/dev/vda',
            'instance_type_id': 1, 'project_id': 'demo', 'user_id': 'demo',
            'system_metadata': {},
            'info_cache': {'network_info': model_info},
            'security_groups': [{'id': number, 'name': 'ssh-%d' % number}]}

    def driver_network_info(self, model_info):
        return model_info.legacy()

    def rescue_instance(self, instance):
        return instance

    def create_domain_and_network(self, driver, context, xml, instance,
                                  network_info):
        return driver._create_domain_and_network(xml, instance,
                                                 network_info)

    def attach_interface(self, driver, instance, model_info):
        driver.attach_interface(instance, {}, model_info.legacy())


class Havana(Tree):
    name = 'havana'
    fakelibvirt = 'nova.tests.virt.libvirt.fakelibvirt'

    def make_instance(self, context, number, uuid, model_info):
        from nova.objects import instance_info_cache
        from nova.tests import fake_instance
        instance = fake_instance.fake_instance_obj(
            context, id=number, uuid=uuid, host='compute1',
            vm_state='active', power_state=1, image_ref='', kernel_id='',
            ramdisk_id='', root_device_name='/dev/vda',
            expected_attrs=['pci_devices', 'security_groups',
                            'system_metadata'])
        # Havana's _hard_reboot reads the image from system metadata
        # before it would ask glance.
        instance.system_metadata = {'image_disk_format': 'qcow2'}
        cache = instance_info_cache.InstanceInfoCache()
        cache.instance_uuid = uuid
        cache.network_info = model_info
        instance.info_cache = cache
        instance.obj_reset_changes()
        return instance

    def rescue_instance(self, instance):
        # rescue_instance is not object_compat in Havana: the driver gets
        # the RPC dict.
        values = dict((field, instance[field]) for field in instance.fields
                      if instance.obj_attr_is_set(field))
        values['name'] = instance.name
        return values

    def create_domain_and_network(self, driver, context, xml, instance,
                                  network_info):
        return driver._create_domain_and_network(context, xml, instance,
                                                 network_info)

    def attach_interface(self, driver, instance, model_info):
        driver.attach_interface(instance, {}, model_info[0])


TREES = {'grizzly': Grizzly, 'havana': Havana}


def get(name):
    return TREES[name]()


def instance_of(args, kwargs):
    """The instance among a driver call's arguments (to_xml, _create_image)."""
    for value in list(args) + list(kwargs.values()):
        try:
            if value['uuid'] and value['id']:
                return value
        except Exception:
            continue
    raise AssertionError('no instance among %r' % (args,))
