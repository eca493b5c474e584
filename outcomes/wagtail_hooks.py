from . import analyst_hooks  # noqa: F401  (the analyst export's menu item, URL and log action)
