"""Pretrains the shipped 256 px inpainter on random crops of Debian wallpaper photos with free-form masks.

Loss (DeepFill v2): L1 on the hole and on the known region of the raw fill, plus a hinge SN-PatchGAN loss.
With prefill, the net refines the pyramid fill (pyramid_fill.py) of holes that are half strokes, half object shapes.
Checkpoints into OUT/checkpoint.pt and resumes from it: run the same command again. OUT/small.pt (no optimiser
state) is what build/models/checkpoints/ keeps in the repository; --resume-from continues from it in a new OUT.

  /usr/bin/python3 build/models/train_inpainter.py --out build/.cache/runs/inpaint256 --minutes 70
"""
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import export_weights, load_weights, rng_state, run_arguments, save_atomic, set_rng_state, start_run
from masks import training_mask
from nets import Inpainter, PatchDiscriminator
from pyramid_fill import pyramid_fill

CONFIG = {'resolution': 256, 'channels': 16, 'd_channels': 32, 'prefill': 'pyramid'}


def load_photos(cache):
    index = json.load(open(os.path.join(cache, 'photos.json')))
    return [np.fromfile(os.path.join(cache, 'photos', p['file']), np.uint8).reshape(p['height'], p['width'], 3) for p in index]


def crop(rng, photos, size, zoom=1.0):
    """A random crop at a random scale (½–1 of the 512 px-short-side photo, × zoom), randomly flipped."""
    img = photos[rng.integers(len(photos))]
    scale = rng.uniform(0.5, 1.0) * zoom
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    if scale < 0.99:
        t = F.interpolate(t, scale_factor=scale, mode='area')
    _, _, h, w = t.shape
    y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    t = t[:, :, y:y + size, x:x + size]
    if rng.uniform() < 0.5:
        t = t.flip(3)
    return t / 127.5 - 1


def main():
    p = run_arguments(batch=4)
    p.add_argument('--cache', default=os.path.join(os.path.dirname(__file__), '..', '.cache'))
    p.add_argument('--adv', type=float, default=0.02)
    p.add_argument('--init', help='start G from this engine weight file (the previous shipped model), except its output conv')
    p.add_argument('--lr', type=float, default=2e-4)
    p.add_argument('--resume-from', help='a small checkpoint (G, D and the counters, no optimiser state) to continue from '
                   'when OUT has no checkpoint of its own: build/models/checkpoints/inpaint256.pt is the shipped model\'s')
    a = p.parse_args()
    log = start_run(a)
    photos = load_photos(a.cache)
    size = CONFIG['resolution']

    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    G = Inpainter(CONFIG['channels'], prefill=CONFIG['prefill'] == 'pyramid')
    D = PatchDiscriminator(CONFIG['d_channels'])
    if CONFIG['prefill']:
        # The output conv starts at zero: an untrained net returns the pyramid fill, and training only refines it.
        with torch.no_grad():
            G.to_rgb.zero_()
    opt_g = torch.optim.Adam(G.parameters(), lr=a.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=a.lr, betas=(0.5, 0.999))
    step, seconds, images = 0, 0.0, 0
    ckpt = os.path.join(a.out, 'checkpoint.pt')
    if os.path.exists(ckpt):
        s = torch.load(ckpt)
        G.load_state_dict(s['G']); D.load_state_dict(s['D'])
        opt_g.load_state_dict(s['opt_g']); opt_d.load_state_dict(s['opt_d'])
        step, seconds, images = s['step'], s['seconds'], s['images']
        set_rng_state(s['rng'])
        rng.bit_generator.state = s['np_rng']
        log(event='resume', step=step)
    elif a.resume_from:
        s = torch.load(a.resume_from)
        G.load_state_dict(s['G']); D.load_state_dict(s['D'])
        step, seconds, images = s['step'], s['seconds'], s['images']
        log(event='resume-small', source=a.resume_from, step=step)
    elif a.init:
        loaded = load_weights(G, 'G', a.init, skip=('to_rgb', 'to_rgb_bias'))
        log(event='init', source=a.init, tensors=len(loaded))

    def save():
        save_atomic({'G': G.state_dict(), 'D': D.state_dict(), 'opt_g': opt_g.state_dict(), 'opt_d': opt_d.state_dict(),
                     'step': step, 'images': images, 'seconds': seconds, 'rng': rng_state(), 'np_rng': rng.bit_generator.state,
                     'config': CONFIG}, ckpt)
        export_weights({'G': G}, os.path.join(a.out, 'weights.gnvw'))
        # The small checkpoint kept in the repository (build/models/checkpoints/): enough to go on training.
        save_atomic({'G': G.state_dict(), 'D': D.state_dict(), 'step': step, 'images': images, 'seconds': seconds, 'config': CONFIG},
                    os.path.join(a.out, 'small.pt'))

    t0 = time.time() - seconds
    last_save = last_log = time.time()
    while time.time() - t0 < a.minutes * 60:
        # Curriculum: the first half of the time on 128 px crops of photos at half the scale (4× the steps), then
        # 256 px. The net is fully convolutional, so the same weights serve both sizes.
        half = time.time() - t0 < a.minutes * 30
        s = size // 2 if half else size
        batch = a.batch * 2 if half else a.batch
        image = torch.cat([crop(rng, photos, s, 0.5 if half else 1.0) for _ in range(batch)])
        mask = torch.from_numpy(np.stack([training_mask(rng, s, s) for _ in range(batch)]))[:, None]

        out, fill = G(pyramid_fill(image, mask) if G.prefill else image, mask)
        l1_hole = ((fill - image).abs() * mask).sum() / mask.sum().clamp(min=1) / 3
        l1_known = ((fill - image).abs() * (1 - mask)).sum() / (1 - mask).sum().clamp(min=1) / 3
        loss_adv = -D(out, mask).mean() if a.adv > 0 else torch.zeros([])
        loss_g = 6 * l1_hole + l1_known + a.adv * loss_adv
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        if a.adv > 0:
            loss_d = F.relu(1 - D(image, mask)).mean() + F.relu(1 + D(out.detach(), mask)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        else:
            loss_d = torch.zeros([])
        step += 1
        images += batch
        if not math.isfinite(loss_g.item()):
            log(event='nan', step=step)
            raise SystemExit('loss became NaN; the last checkpoint is intact')
        if time.time() - last_log > 30:
            seconds = time.time() - t0
            log(step=step, img=images, img_s=round(images / seconds, 2), size=s, l1_hole=round(l1_hole.item(), 4),
                l1_known=round(l1_known.item(), 4), adv=round(loss_adv.item(), 3), loss_d=round(loss_d.item(), 3))
            last_log = time.time()
        if time.time() - last_save > 300:
            seconds = time.time() - t0
            save()
            last_save = time.time()
    seconds = time.time() - t0
    save()
    log(event='done', step=step, images=images, seconds=round(seconds))
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump({**CONFIG, 'steps': step, 'batch': a.batch, 'seconds': round(seconds)}, f)


if __name__ == '__main__':
    main()
