"""Rotations for the simulator: Euler angles, quaternions, body-frame increments, mount matrices.

Frames: the pelvis (body) frame is x forward, y left, z up; the world frame is x, y horizontal,
z up. Orientation R = Rz(yaw) @ Ry(pitch) @ Rx(roll) maps body coordinates to world ones.
"""
from __future__ import annotations

import math

import numpy as np


def _axis_unit(name):
    """'+x' -> (index, sign)."""
    return "xyz".index(name[1]), (1.0 if name[0] == "+" else -1.0)


def mount_matrix(mount_up, mount_forward):
    """Nominal matrix C (3x3) with v_pelvis = C @ v_sensor for a mount config pair.

    Columns are the sensor axes in pelvis coordinates (x forward, y left, z up); left = up x
    forward, so the frame is right-handed.
    """
    ui, us = _axis_unit(mount_up)
    fi, fs = _axis_unit(mount_forward)
    if ui == fi:
        raise ValueError("mount_up=%s and mount_forward=%s must be perpendicular" % (mount_up, mount_forward))
    e = np.eye(3)
    s_fwd = fs * e[fi]  # sensor coords of the forward direction
    s_up = us * e[ui]
    s_left = np.cross(s_up, s_fwd)
    # rows of C are the pelvis axes F, L, U in sensor coords
    return np.vstack([s_fwd, s_left, s_up])


def rx(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def ry(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rz(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def euler_to_quat(yaw, pitch, roll):
    """Quaternions (N,4) w,x,y,z of R = Rz(yaw) Ry(pitch) Rx(roll) (radians)."""
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    return np.stack(
        [
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ],
        axis=-1,
    )


def euler_to_matrix(yaw, pitch, roll):
    """Rotation matrices (N,3,3) of R = Rz(yaw) Ry(pitch) Rx(roll) (radians)."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    R = np.empty(np.shape(yaw) + (3, 3))
    R[..., 0, 0] = cy * cp
    R[..., 0, 1] = cy * sp * sr - sy * cr
    R[..., 0, 2] = cy * sp * cr + sy * sr
    R[..., 1, 0] = sy * cp
    R[..., 1, 1] = sy * sp * sr + cy * cr
    R[..., 1, 2] = sy * sp * cr - cy * sr
    R[..., 2, 0] = -sp
    R[..., 2, 1] = cp * sr
    R[..., 2, 2] = cp * cr
    return R


def body_rotvec(q):
    """Rotation vectors (N-1,3) of the body-frame increments conj(q_k) * q_{k+1} (radians)."""
    w1, x1, y1, z1 = q[:-1, 0], -q[:-1, 1], -q[:-1, 2], -q[:-1, 3]
    w2, x2, y2, z2 = q[1:, 0], q[1:, 1], q[1:, 2], q[1:, 3]
    w = w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2
    v = np.stack(
        [
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ],
        axis=-1,
    )
    sgn = np.where(w < 0, -1.0, 1.0)
    w = w * sgn
    v = v * sgn[:, None]
    n = np.linalg.norm(v, axis=1)
    ang = 2.0 * np.arctan2(n, w)
    k = np.where(n > 1e-12, ang / np.maximum(n, 1e-300), 2.0 / np.maximum(w, 1e-12))
    return v * k[:, None]


def world_to_body(yaw, pitch, roll, v):
    """R^T v for R = Rz Ry Rx, v (N,3) world -> (N,3) body."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    x = cy * v[:, 0] + sy * v[:, 1]
    y = -sy * v[:, 0] + cy * v[:, 1]
    z = v[:, 2]
    cp, sp = np.cos(pitch), np.sin(pitch)
    x, z = cp * x - sp * z, sp * x + cp * z
    cr, sr = np.cos(roll), np.sin(roll)
    y, z = cr * y + sr * z, -sr * y + cr * z
    return np.stack([x, y, z], axis=-1)


def body_to_world(yaw, pitch, roll, v):
    """R v for R = Rz Ry Rx, v (N,3) body -> (N,3) world."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    cr, sr = np.cos(roll), np.sin(roll)
    y, z = cr * y - sr * z, sr * y + cr * z
    cp, sp = np.cos(pitch), np.sin(pitch)
    x, z = cp * x + sp * z, -sp * x + cp * z
    cy, sy = np.cos(yaw), np.sin(yaw)
    x, y = cy * x - sy * y, sy * x + cy * y
    return np.stack([x, y, z], axis=-1)
