# Hinge's device modules frozen into a MicroPython firmware image (MicroPython's manifest format).
#
# Frozen modules run their bytecode (and the viper code's machine code) straight from the image
# in flash: the GC heap keeps only their objects, not ~50 KB of module bytecode (`make bench`,
# "heap" rows). Build an ESP32 image with it (needs the ESP-IDF; see the README, "Frozen image"):
#
#   cd micropython/ports/esp32
#   make BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/hinge/device/frozen/manifest.py
#   hinge flash --firmware build-ESP32_GENERIC/firmware.bin --erase
#
# main.py is not frozen: the board runs /main.py from its flash after a reset, and `hinge flash`
# still puts it (and pinmap.json, config.json) there. With the modules frozen, ".frozen" comes
# before "/lib" on sys.path, so rebuild the image after changing device/: a newer /lib/*.mpy
# from `hinge flash` would not be imported. tests/test_manifest.py checks every device module
# is listed here.

# the port's own frozen modules (_boot.py mounts the filesystem, inisetup, neopixel, ...)
include("$(PORT_DIR)/boards/manifest.py")

# device/*.py except main.py: compiled with the image's mpy-cross (viper for the chip's arch)
for _name in (
    "app",
    "board",
    "coach",
    "config",
    "configstore",
    "detector",
    "drift",
    "dynamics",
    "events",
    "coachstore",
    "fixmath",
    "flashlog",
    "haptic",
    "imu",
    "imu_lsm6ds",
    "imu_mpu6xxx",
    "kernel",
    "logfmt",
    "rateclock",
    "sensors",
    "walkclock",
):
    module(_name + ".py", base_path="..")
