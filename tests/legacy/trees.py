"""Everything that differs between the nova trees the legacy harness runs.

The harness (host.py, scenarios.py, imports.py) is one; each release is a
``Tree`` here, and nothing outside this module tests a release name.

* Grizzly hands the libvirt driver dict instances and the legacy
  ``[(network, mapping)]`` network_info; Havana and later hand it Instance
  objects and the NetworkInfo model (Havana's rescue still gets a dict).
* Grizzly and Havana read the security-group rows through the VirtAPI;
  Icehouse and later through ``nova.objects``.
* The options moved: ``libvirt_wait_soft_reboot_seconds`` became
  ``[libvirt] wait_soft_reboot_seconds`` in Icehouse, ``lock_path`` went to
  ``[oslo_concurrency]`` with oslo.concurrency (Kilo), ``oslo.config`` became
  ``oslo_config``.
* Liberty and later reach libvirt through ``nova.virt.libvirt.host`` and
  ``guest`` (``Guest`` objects), render the guest with ``_get_guest_xml``,
  take ``disk_info`` in ``_create_domain_and_network`` and an ``ImageMeta``
  object in ``rescue``; nova's tests and fake libvirt moved to
  ``nova.tests.unit``.
"""

from __future__ import absolute_import

import importlib
import os
import shutil
import tempfile

from tests.functional.harness import compute_host

GATEWAY = compute_host.GATEWAY
GUEST_NET = compute_host.GUEST_NET
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


def _flavor_row():
    return {'id': 1, 'name': 'm1.tiny', 'flavorid': '1', 'memory_mb': 128,
            'vcpus': 1, 'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0,
            'rxtx_factor': 1.0, 'vcpu_weight': None, 'extra_specs': {},
            'disabled': False, 'is_public': True}


class Tree(object):
    """Havana's shape; the other releases override what moved."""

    name = None
    tag = None
    fakelibvirt = 'nova.tests.virt.libvirt.fakelibvirt'
    #: Imported first thing, as nova-compute's start-up and the tree's own
    #: tests do (monkey-patching, ``_()``, object registration).
    test_package = 'nova.tests'
    fake_instance = 'nova.tests.fake_instance'
    #: nova modules that hold their own reference to the libvirt binding.
    libvirt_users = ('nova.virt.libvirt.driver',
                     'nova.virt.libvirt.firewall')
    #: (option, group) of the soft-reboot wait.
    wait_option = ('libvirt_wait_soft_reboot_seconds', None)
    lock_path_group = None
    #: A stopped guest's soft reboot waits the full wait for a shutdown
    #: that never comes, then hard-reboots (commit 2402055b95, Havana on).
    soft_reboot_waits = True
    #: ``compute_driver_matches`` exists (removed in Liberty).
    has_driver_matches = True
    #: The compute manager finds its compute nodes through the service
    #: record (Juno only: ``objects.Service``, ``ComputeNodeList.
    #: get_by_service``).
    nodes_by_service = False
    #: More ``[DEFAULT]`` lines for the harness's nova.conf. Icehouse and
    #: later start the RPC transport in ``parse_args``; the fake one keeps
    #: kombu (whose 2014 releases do not import on Python 2.7.18) out.
    nova_conf_defaults = ()

    def cfg(self):
        from oslo.config import cfg
        return cfg.CONF

    def load_fakelibvirt(self):
        return importlib.import_module(self.fakelibvirt)

    def install_fakelibvirt(self, fakelibvirt):
        for name in self.libvirt_users:
            importlib.import_module(name).libvirt = fakelibvirt

    def stub_host_edges(self):
        """Tree-specific host commands and database reads (none here)."""

    def start_rpc(self):
        """The RPC transport the compute manager's clients need (lazy here)."""

    def answer_manager_database(self, database):
        """Route the compute manager's instance reads to ``database``.

        Havana and later list a host's instances through
        ``InstanceList`` (``get_by_host`` in ``init_host``, ``get_by_filters``
        for the evacuation check from Icehouse on); Grizzly only through the
        conductor API, which the harness replaces whole.
        """
        from nova.objects import instance as instance_obj

        def listed(cls, instances):
            result = cls()
            result.objects = list(instances)
            result.obj_reset_changes()
            return result

        def get_by_host(cls, context, host, *args, **kwargs):
            return listed(cls, database.instances())

        def get_by_filters(cls, context, filters, *args, **kwargs):
            return listed(cls, database.instance_get_all_by_filters(
                context, filters))
        instance_obj.InstanceList.get_by_host = classmethod(get_by_host)
        instance_obj.InstanceList.get_by_filters = classmethod(get_by_filters)
        # What a lifecycle event reads and writes (the harness's objects are
        # the database's rows).
        instance_obj.Instance.get_by_uuid = classmethod(
            lambda cls, context, uuid, *args, **kwargs:
            database.instance_get_by_uuid(context, uuid))
        instance_obj.Instance.refresh = lambda self, *args, **kwargs: None
        instance_obj.Instance.save = lambda self, *args, **kwargs: None
        # No migration records (Liberty and later look for evacuations) and
        # no compute node record (Kilo and later read them as objects).
        from nova.objects import compute_node
        from nova.objects import migration
        for owner, reader in ((migration.MigrationList, 'get_by_filters'),
                              (compute_node.ComputeNodeList,
                               'get_all_by_host')):
            if hasattr(owner, reader):
                setattr(owner, reader, classmethod(
                    lambda cls, *args, **kwargs: listed(cls, [])))
        if self.nodes_by_service:
            _answer_service_record(listed)

    def conf_overrides(self, wait_seconds, lock_path):
        wait_name, wait_group = self.wait_option
        return [(wait_name, wait_seconds, wait_group),
                ('lock_path', lock_path, self.lock_path_group)]

    def driver_network_info(self, model_info):
        """network_info as this tree's compute manager passes it."""
        return model_info

    # --- security-group rows ----------------------------------------------

    def security_group_api(self, rules):
        """The VirtAPI the driver gets; Grizzly/Havana read rows through it."""
        from nova.virt import fake as fake_virt

        class SecurityGroupVirtAPI(fake_virt.FakeVirtAPI):
            """The rows ``IptablesFirewallDriver.instance_rules`` reads.

            One group per instance (id = instance id) with its rules.
            """

            def security_group_get_by_instance(self, context, instance):
                return [{'id': instance['id'],
                         'name': 'ssh-%s' % instance['id']}]

            def security_group_rule_get_by_security_group(self, context,
                                                          security_group):
                return rules.rows_of_group(security_group['id'])

            def provider_fw_rule_get_all(self, context):
                return []

            def instance_type_get(self, context, instance_type_id):
                # attach_interface reads the flavor (vif quotas in Havana).
                return _flavor_row()

        return SecurityGroupVirtAPI()

    # --- instances and driver calls ---------------------------------------

    def make_instance(self, context, number, uuid, model_info):
        from nova.objects import instance_info_cache
        instance = self._instance_obj(context, number, uuid)
        cache = instance_info_cache.InstanceInfoCache()
        cache.instance_uuid = uuid
        cache.network_info = model_info
        instance.info_cache = cache
        instance.obj_reset_changes()
        return instance

    def _instance_obj(self, context, number, uuid):
        fake_instance = importlib.import_module(self.fake_instance)
        instance = fake_instance.fake_instance_obj(
            context, id=number, uuid=uuid, host='compute1',
            vm_state='active', power_state=1, image_ref='', kernel_id='',
            ramdisk_id='', root_device_name='/dev/vda',
            expected_attrs=['pci_devices', 'security_groups',
                            'system_metadata'])
        # _hard_reboot reads the image from system metadata before it
        # would ask glance.
        instance.system_metadata = {'image_disk_format': 'qcow2'}
        return instance

    def rescue_instance(self, instance):
        # rescue_instance is not object_compat in Havana: the driver gets
        # the RPC dict.
        values = dict((field, instance[field]) for field in instance.fields
                      if instance.obj_attr_is_set(field))
        values['name'] = instance.name
        return values

    def rescue_image_meta(self):
        return {}

    def stub_driver(self, driver, guest_xml):
        """The guest XML, images and disks nova would build: stand-ins."""
        driver.to_xml = guest_xml
        driver._create_image = lambda *args, **kwargs: None
        driver.get_instance_disk_info = lambda *args, **kwargs: '[]'
        driver._create_images_and_backing = lambda *args, **kwargs: None
        driver._enable_hairpin = lambda *args, **kwargs: None

    def create_domain_and_network(self, driver, context, xml, instance,
                                  network_info):
        return driver._create_domain_and_network(context, xml, instance,
                                                 network_info)

    def attach_interface(self, driver, instance, model_info):
        driver.attach_interface(instance, {}, model_info[0])


class Grizzly(Tree):
    name = 'grizzly'
    tag = '2013.1.5'
    fakelibvirt = 'nova.tests.fakelibvirt'
    soft_reboot_waits = False

    def make_instance(self, context, number, uuid, model_info):
        return {
            'id': number, 'uuid': uuid, 'name': 'instance-%08x' % number,
            'host': 'compute1', 'node': 'compute1', 'vm_state': 'active',
            'power_state': 1,
            'task_state': None, 'image_ref': '', 'kernel_id': '',
            'ramdisk_id': '', 'root_device_name': '/dev/vda',
            'instance_type_id': 1, 'project_id': 'demo', 'user_id': 'demo',
            'system_metadata': {},
            'info_cache': {'network_info': model_info},
            'security_groups': [{'id': number, 'name': 'ssh-%d' % number}]}

    def driver_network_info(self, model_info):
        return model_info.legacy()

    def answer_manager_database(self, database):
        """Grizzly reads instances through the conductor API only."""

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
    tag = '2013.2.4'


def _stub_security_group_objects(sg_rules):
    """Icehouse's ``instance_rules`` reads the rows through nova.objects."""
    from nova.objects import security_group
    from nova.objects import security_group_rule

    def groups(cls, context, instance):
        return [{'id': instance['id'], 'name': 'ssh-%s' % instance['id']}]

    def rules(cls, context, group):
        return sg_rules.rows_of_group(group['id'])

    security_group.SecurityGroupList.get_by_instance = classmethod(groups)
    security_group_rule.SecurityGroupRuleList.get_by_security_group = \
        classmethod(rules)


def _answer_service_record(listed):
    """This host's service record (Service.start made it), no nodes yet."""
    from nova.objects import compute_node
    from nova.objects import service

    def get_by_compute_host(cls, context, host, *args, **kwargs):
        record = cls()
        record.id = 1
        record.host = host
        record.binary = 'nova-compute'
        record.topic = 'compute'
        record.disabled = False
        record.disabled_reason = None
        record.obj_reset_changes()
        return record
    service.Service.get_by_compute_host = classmethod(get_by_compute_host)
    service.Service.save = lambda self, *args, **kwargs: None
    compute_node.ComputeNodeList.get_by_service = classmethod(
        lambda cls, *args, **kwargs: listed(cls, []))


class Icehouse(Tree):
    name = 'icehouse'
    tag = '2014.1.5'
    nova_conf_defaults = ('rpc_backend = fake',)
    wait_option = ('wait_soft_reboot_seconds', 'libvirt')

    def start_rpc(self):
        """The fake transport, started from nova.conf as parse_args does."""
        from nova import config
        conf_dir = tempfile.mkdtemp(prefix='sgfix-legacy-rpc-')
        conf_file = os.path.join(conf_dir, 'nova.conf')
        with open(conf_file, 'w') as out:
            out.write('[DEFAULT]\n%s\n' % '\n'.join(self.nova_conf_defaults))
        try:
            config.parse_args(['nova-compute', '--config-file', conf_file],
                              default_config_files=[])
        finally:
            shutil.rmtree(conf_dir)

    def security_group_api(self, rules):
        _stub_security_group_objects(rules)
        # The provider rules still come through the VirtAPI.
        return super(Icehouse, self).security_group_api(rules)

    def stub_host_edges(self):
        # attach_interface reads the flavor from the database.
        from nova.objects import flavor

        def get_by_id(cls, context, flavor_id):
            row = dict(_flavor_row(), created_at=None, updated_at=None,
                       deleted_at=None, deleted=False)
            return flavor.Flavor._from_db_object(context, flavor.Flavor(),
                                                 row)
        flavor.Flavor.get_by_id = classmethod(get_by_id)

    def rescue_instance(self, instance):
        return instance  # object_compat from Icehouse on


class Juno(Icehouse):
    name = 'juno'
    tag = '2014.2.4'
    nodes_by_service = True

    def stub_driver(self, driver, guest_xml):
        super(Juno, self).stub_driver(driver, guest_xml)
        driver._get_guest_xml = guest_xml  # to_xml's new name
        driver._get_instance_disk_info = lambda *args, **kwargs: '[]'


class Kilo(Juno):
    name = 'kilo'
    tag = '2015.1.4'
    nodes_by_service = False
    fakelibvirt = 'nova.tests.unit.virt.libvirt.fakelibvirt'
    test_package = 'nova.tests.unit'
    fake_instance = 'nova.tests.unit.fake_instance'
    libvirt_users = Tree.libvirt_users + ('nova.virt.libvirt.host',)
    lock_path_group = 'oslo_concurrency'

    def cfg(self):
        from oslo_config import cfg
        return cfg.CONF

    def stub_host_edges(self):
        super(Kilo, self).stub_host_edges()
        from nova.virt.libvirt import host
        # The libvirt event thread (a native thread), as the tree's own
        # tests disable it.
        host.Host._init_events = lambda self: None

    def make_instance(self, context, number, uuid, model_info):
        from nova import objects
        instance = super(Kilo, self).make_instance(context, number, uuid,
                                                   model_info)
        if not instance.obj_attr_is_set('flavor'):
            # attach_interface reads instance.flavor (the database).
            row = dict(_flavor_row(), projects=[])
            row.pop('extra_specs')
            instance.flavor = objects.Flavor(extra_specs={}, **row)
            instance.obj_reset_changes()
        return instance

    def create_domain_and_network(self, driver, context, xml, instance,
                                  network_info):
        return driver._create_domain_and_network(context, xml, instance,
                                                 network_info, {})


class Liberty(Kilo):
    name = 'liberty'
    tag = '12.0.6'
    libvirt_users = Kilo.libvirt_users + ('nova.virt.libvirt.guest',)

    def stub_host_edges(self):
        super(Liberty, self).stub_host_edges()
        from nova.virt.libvirt import guest
        # Writes /sys/class/net/<tap>/brport/hairpin_mode on the host.
        guest.Guest.enable_hairpin = lambda self: None


class Mitaka(Liberty):
    name = 'mitaka'
    tag = '13.1.4'
    has_driver_matches = False

    def security_group_api(self, rules):
        from nova import objects
        from nova.virt import fake as fake_virt

        def instance_rules(cls, context, instance):
            return [objects.SecurityGroupRule(
                protocol=row['protocol'], from_port=row['from_port'],
                to_port=row['to_port'], cidr=row['cidr'],
                grantee_group=None)
                for row in rules.rows_of_group(instance.id)]
        objects.SecurityGroupRuleList.get_by_instance = classmethod(
            instance_rules)
        return fake_virt.FakeVirtAPI()  # no provider rules any more

    def rescue_image_meta(self):
        from nova import objects
        return objects.ImageMeta.from_dict({'disk_format': 'qcow2'})

    def attach_interface(self, driver, instance, model_info):
        driver.attach_interface(instance, self.rescue_image_meta(),
                                model_info[0])


TREES = dict((tree.name, tree) for tree in (Grizzly, Havana, Icehouse, Juno,
                                            Kilo, Liberty, Mitaka))


def get(name):
    return TREES[name]()
