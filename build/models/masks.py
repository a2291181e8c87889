"""Procedural free-form masks (DeepFill v2's strokes) and boxes, 1 = hole."""
import math

import numpy as np


def _stroke(mask, rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    width = rng.uniform(h * 0.04, h * 0.14)
    for _ in range(rng.integers(2, 7)):
        angle = rng.uniform(0, 2 * math.pi)
        length = rng.uniform(h * 0.08, h * 0.3)
        nx = np.clip(x + length * math.cos(angle), 0, w - 1)
        ny = np.clip(y + length * math.sin(angle), 0, h - 1)
        # distance from every pixel to the segment (x, y)–(nx, ny)
        dx, dy = nx - x, ny - y
        t = np.clip(((xx - x) * dx + (yy - y) * dy) / max(dx * dx + dy * dy, 1e-6), 0, 1)
        d2 = (xx - x - t * dx) ** 2 + (yy - y - t * dy) ** 2
        mask[d2 <= (width / 2) ** 2] = 1
        x, y = nx, ny


def free_form_mask(rng, h, w, min_ratio=0.05, max_ratio=0.5):
    """Strokes and sometimes a box, redrawn until the hole covers between min_ratio and max_ratio of the image."""
    while True:
        mask = np.zeros((h, w), np.float32)
        for _ in range(rng.integers(1, 5)):
            _stroke(mask, rng, h, w)
        if rng.uniform() < 0.3:
            bh, bw = int(rng.uniform(0.1, 0.45) * h), int(rng.uniform(0.1, 0.45) * w)
            y0, x0 = rng.integers(0, h - bh), rng.integers(0, w - bw)
            mask[y0:y0 + bh, x0:x0 + bw] = 1
        if min_ratio <= mask.mean() <= max_ratio:
            return mask


def blob(mask, rng, h, w, area):
    """A smooth closed shape (radius = a few random Fourier harmonics of the angle) of about `area` pixels,
    the silhouette an object to remove has."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    r0 = math.sqrt(area / math.pi)
    theta = np.arctan2(yy - cy, xx - cx)
    radius = np.ones_like(theta)
    for k in range(1, 5):
        radius += rng.uniform(0, 0.35 / k) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    aspect = rng.uniform(0.6, 1.6)
    d = np.sqrt(((xx - cx) / aspect) ** 2 + ((yy - cy) * aspect) ** 2)
    mask[d <= r0 * radius] = 1


def object_mask(rng, h, w, min_ratio=0.02, max_ratio=0.5):
    """One to three object-shaped blobs, redrawn until the hole covers between min_ratio and max_ratio."""
    while True:
        mask = np.zeros((h, w), np.float32)
        target = rng.uniform(min_ratio, max_ratio) * h * w
        n = rng.integers(1, 4)
        for _ in range(n):
            blob(mask, rng, h, w, target / n)
        if min_ratio <= mask.mean() <= max_ratio:
            return mask


def training_mask(rng, h, w):
    """The inpainter's training holes: half strokes (DeepFill v2), half object silhouettes, 2–50 % of the crop."""
    if rng.uniform() < 0.5:
        return free_form_mask(rng, h, w, 0.02, 0.5)
    return object_mask(rng, h, w)
