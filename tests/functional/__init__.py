"""Functional tests: real nova, real iptables, real traffic, in namespaces.

nova-compute runs under eventlet; nova's own test suite monkey-patches before
anything else is imported, and so does this package.
"""

try:
    import nova.monkey_patch  # noqa: Train patches on import
except ImportError:
    try:
        import eventlet
    except ImportError:
        eventlet = None
    if eventlet is not None:
        eventlet.monkey_patch(os=False)

try:
    from nova import objects
except ImportError:  # Grizzly: no nova.objects
    objects = None
if getattr(objects, 'register_all', None):  # Havana has no registry
    objects.register_all()
