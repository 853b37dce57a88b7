"""A real board over USB serial: mpremote transport, deploy (firmware, app, config), live console and capture."""
