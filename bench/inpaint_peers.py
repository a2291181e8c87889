"""The classical peers of the object-removal bench (bench/inpaint.ts), run with Debian's python3-opencv:

  telea     cv2.inpaint(img, hole, 3, cv2.INPAINT_TELEA) at the photo's working size
  shiftmap  cv2.xphoto.inpaint(lab, known, dst, cv2.xphoto.INPAINT_SHIFTMAP) (exemplar-based, He & Sun 2012) in
            Lab as OpenCV's own sample does; xphoto's mask is the KNOWN area (non-zero = keep, 0 = fill), the
            opposite of cv2.inpaint's. It runs at the size the manifest gives; when that is smaller than the
            photo, the photo is shrunk (INTER_AREA, any trace of the hole stays hole) and the result scaled back
            up (INTER_CUBIC). The bench keeps only the hole pixels of what comes back.

Usage: inpaint_peers.py --probe              prints {"ok": ...} after checking the mask conventions on a tiny image
       inpaint_peers.py MANIFEST.json        reads DIR/ID.input.rgb and DIR/ID.mask (RGB / 1 byte, 255 = hole),
                                             writes DIR/ID.telea.rgb and DIR/ID.shiftmap.rgb, prints the ms of each
                                             call as JSON on stdout (file reading and writing not counted)
"""
import json
import sys
import time


def shiftmap(rgb, hole, size):
    import cv2
    h, w = hole.shape
    sw, sh = size
    small, small_hole = rgb, hole
    if (sw, sh) != (w, h):
        small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
        small_hole = (cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_AREA) > 0).astype('uint8') * 255
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab)
    dst = lab.copy()
    cv2.xphoto.inpaint(lab, 255 - small_hole, dst, cv2.xphoto.INPAINT_SHIFTMAP)
    out = cv2.cvtColor(dst, cv2.COLOR_Lab2RGB)
    if (sw, sh) != (w, h):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC)
    return out


def probe():
    """Both conventions on a tiny two-colour image with a foreign green square: the fill must not be green."""
    try:
        import cv2
        import numpy as np
    except Exception as e:  # noqa: BLE001 - any import failure means no peers, and the reason is what matters
        return {'ok': False, 'why': f'cannot import cv2 ({type(e).__name__}: {e})'}
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, :16], img[:, 16:] = (200, 60, 40), (40, 60, 200)
    img[12:20, 4:12] = (0, 255, 0)
    hole = np.zeros((32, 32), np.uint8)
    hole[12:20, 4:12] = 255
    telea = cv2.inpaint(img, hole, 3, cv2.INPAINT_TELEA)
    res = {'ok': True, 'cv2': cv2.__version__, 'threads': cv2.getNumThreads(), 'telea': True, 'shiftmap': False}
    if telea[12:20, 4:12, 1].mean() > 128:
        return {'ok': False, 'why': 'cv2.inpaint kept the foreign square: its mask convention is not 255 = fill'}
    if not hasattr(cv2, 'xphoto'):
        res['shiftmapWhy'] = 'this OpenCV has no xphoto module (opencv_contrib)'
        return res
    fill = shiftmap(img, hole, (32, 32))
    if fill[12:20, 4:12, 1].mean() > 128:
        res['shiftmapWhy'] = 'xphoto.inpaint kept the foreign square with known = 255: mask convention differs'
        return res
    res['shiftmap'] = True
    return res


def main():
    if sys.argv[1] == '--probe':
        print(json.dumps(probe()))
        return
    import cv2
    import numpy as np
    manifest = json.load(open(sys.argv[1]))
    folder, methods = manifest['dir'], manifest['methods']
    times = {}
    for k, case in enumerate(manifest['cases']):
        w, h, cid = case['width'], case['height'], case['id']
        rgb = np.fromfile(f'{folder}/{cid}.input.rgb', np.uint8).reshape(h, w, 3)
        hole = np.fromfile(f'{folder}/{cid}.mask', np.uint8).reshape(h, w)
        times[cid] = {}
        if 'telea' in methods:
            t = time.perf_counter()
            out = cv2.inpaint(rgb, hole, 3, cv2.INPAINT_TELEA)
            times[cid]['telea'] = (time.perf_counter() - t) * 1000
            out.tofile(f'{folder}/{cid}.telea.rgb')
        if 'shiftmap' in methods:
            t = time.perf_counter()
            out = shiftmap(rgb, hole, tuple(case['shiftmap']))
            times[cid]['shiftmap'] = (time.perf_counter() - t) * 1000
            out.tofile(f'{folder}/{cid}.shiftmap.rgb')
        done = ', '.join(f'{m} {v / 1000:.1f} s' for m, v in times[cid].items())
        print(f'  peers {k + 1}/{len(manifest["cases"])} {cid}: {done}', file=sys.stderr, flush=True)
    print(json.dumps(times))


if __name__ == '__main__':
    main()
