"""The `hinge` command: the command table (``cli.py``) and one module per command group (``cmd_*``).

Only this room imports the commands; nothing below imports from here."""
