"""The built-in task files (``*.toml``), package data read by ``server.task_catalog``."""
