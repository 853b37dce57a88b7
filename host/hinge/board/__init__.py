"""A real board over USB serial: the Board (transport), mpremote's transport extended with the
board programs of device/tools (programs), deploy (firmware, app, config), the live console (live)
and raw capture (capture)."""
