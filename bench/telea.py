"""OpenCV's Telea inpainting (Debian python3-opencv) for bench/inpaint.ts: reads N RGB crops and masks as raw
bytes (argv: in file, out file, N, size), writes the N filled crops."""
import sys

import cv2
import numpy as np

src, dst, n, s = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
raw = np.fromfile(src, np.uint8)
images = raw[: n * s * s * 3].reshape(n, s, s, 3)
masks = raw[n * s * s * 3:].reshape(n, s, s)
out = np.stack([cv2.inpaint(images[i], masks[i], 3, cv2.INPAINT_TELEA) for i in range(n)])
out.tofile(dst)
