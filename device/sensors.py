"""Sensitivity tables of the supported IMU families (one source of truth for drivers and replay).

``sensitivity(model, accel_range_g, gyro_range_dps)`` returns ``(lsb_per_g, lsb_per_kdps)``:
accelerometer counts per g, and gyro counts per 1000 deg/s (an integer, so 32.8 LSB/(deg/s)
becomes 32800). Values are the datasheets' typical sensitivities.
"""

# InvenSense MPU-6050/6500/9250: +-2/4/8/16 g -> 16384/8192/4096/2048 LSB/g;
# +-250/500/1000/2000 deg/s -> 131/65.5/32.8/16.4 LSB/(deg/s)
_MPU_ACC = {2: 16384, 4: 8192, 8: 4096, 16: 2048}
_MPU_GYR = {250: 131000, 500: 65500, 1000: 32800, 2000: 16400}
# ST LSM6DS3/LSM6DSO/LSM6DSOX/ISM330: 0.061/0.122/0.244/0.488 mg/LSB;
# 8.75/17.5/35/70 mdps/LSB
_ST_ACC = {2: 16393, 4: 8197, 8: 4098, 16: 2049}
_ST_GYR = {250: 114286, 500: 57143, 1000: 28571, 2000: 14286}

MPU_MODELS = ("mpu6050", "mpu6500", "mpu9250")
ST_MODELS = ("lsm6ds3", "lsm6dso", "lsm6dsox", "ism330dhcx")


def family(model):
    """'mpu' or 'st' for a model name (``auto`` and unknown names count as 'mpu')."""
    return "st" if model in ST_MODELS else "mpu"


def sensitivity(model, accel_range_g, gyro_range_dps):
    """(counts per g, counts per 1000 deg/s) for ``model`` at the given full scales."""
    if family(model) == "st":
        return _ST_ACC[accel_range_g], _ST_GYR[gyro_range_dps]
    return _MPU_ACC[accel_range_g], _MPU_GYR[gyro_range_dps]
