"""Pretrains the shipped 64 px generator on DiceBear pixel-art faces with the engine's architecture.

Non-saturating logistic loss, lazy R1 on reals, Adam, EMA of G, style-mixing regularisation, with the settings of
engine/train/recipe.json (its top level; the app's fine-tuning loop reads the same file, with its stated
differences). The data is unlimited and rendered by build/models/datasets.ts, so no augmentation is needed.
Checkpoints every few minutes into OUT/checkpoint.pt and resumes from it: run the same command again.

  /usr/bin/python3 build/models/train_generator.py --out build/.cache/runs/faces64 --minutes 70
  /usr/bin/python3 build/models/train_generator.py --out /tmp/x --print-config   # the effective settings, as JSON
"""
import copy
import json
import math
import os
import time

import numpy as np
import torch

from common import export_weights, rng_state, run_arguments, save_atomic, set_rng_state, start_run
from nets import Discriminator, Generator

RECIPE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'engine', 'train', 'recipe.json')

CONFIG = {
    'z_dim': 128, 'w_dim': 128, 'mapping_layers': 4, 'resolution': 64,
    'g_channels': {4: 128, 8: 128, 16: 96, 32: 48, 64: 24},
    'd_channels': {4: 128, 8: 128, 16: 96, 32: 48, 64: 24},
}


def build(cfg):
    G = Generator(cfg['z_dim'], cfg['w_dim'], cfg['mapping_layers'], cfg['resolution'], cfg['g_channels'])
    D = Discriminator(cfg['resolution'], cfg['d_channels'])
    return G, D


def read_recipe():
    """Pretraining's settings: the recipe's top level (its `fineTune` block is the app's loop's)."""
    with open(RECIPE_FILE) as f:
        r = json.load(f)
    if r['augment']:
        raise SystemExit('recipe.json asks for augmentation, which this script does not implement (its data is unlimited)')
    return r


def effective_config(a, G, opt_g, opt_d, reg, mix_prob, noise, ema):
    """The settings the loop below runs with, read back from its objects (D's rate and β2 with the lazy-R1
    scaling undone), in recipe.json's shape: test/train.test.ts compares them with the recipe."""
    c = reg / (reg + 1)
    g, d = opt_g.param_groups[0], opt_d.param_groups[0]
    return {'batch': a.batch, 'lr': {'G': g['lr'], 'D': d['lr'] / c},
            'adam': {'beta1': g['betas'][0], 'beta2': g['betas'][1], 'eps': g['eps'], 'beta2D': d['betas'][1] ** (1 / c)},
            'r1': {'gamma': a.r1_gamma, 'every': reg}, 'styleMixing': mix_prob, 'noise': noise, 'ema': ema,
            'wAvgBeta': G.mapping.w_avg_beta, 'augment': []}


def main():
    recipe = read_recipe()
    p = run_arguments(batch=recipe['batch'])
    p.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', '.cache', 'faces64.u8'))
    p.add_argument('--r1-gamma', type=float, default=recipe['r1']['gamma'])
    p.add_argument('--print-config', action='store_true', help='print the effective settings as JSON and exit')
    a = p.parse_args()

    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    G, D = build(CONFIG)
    G.mapping.w_avg_beta = recipe['wAvgBeta']
    G_ema = copy.deepcopy(G).eval()
    reg = recipe['r1']['every']
    c = reg / (reg + 1)
    adam = recipe['adam']
    opt_g = torch.optim.Adam(G.parameters(), lr=recipe['lr']['G'], betas=(adam['beta1'], adam['beta2']), eps=adam['eps'])
    opt_d = torch.optim.Adam(D.parameters(), lr=recipe['lr']['D'] * c, betas=(adam['beta1'] ** c, adam['beta2'] ** c), eps=adam['eps'])
    mix_prob, noise = recipe['styleMixing'], recipe['noise']
    ema_half_life = recipe['ema']['halfLifeKimg'] * 1000  # images
    ema_ramp = recipe['ema']['rampUp']
    if a.print_config:
        print(json.dumps(effective_config(a, G, opt_g, opt_d, reg, mix_prob, noise, {'halfLifeKimg': ema_half_life / 1000, 'rampUp': ema_ramp})))
        return
    log = start_run(a)
    data = np.fromfile(a.data, dtype=np.uint8).reshape(-1, 64, 64, 3)
    step, seconds = 0, 0.0
    ckpt = os.path.join(a.out, 'checkpoint.pt')
    if os.path.exists(ckpt):
        s = torch.load(ckpt)
        G.load_state_dict(s['G']); D.load_state_dict(s['D']); G_ema.load_state_dict(s['G_ema'])
        opt_g.load_state_dict(s['opt_g']); opt_d.load_state_dict(s['opt_d'])
        step, seconds = s['step'], s['seconds']
        set_rng_state(s['rng'])
        log(event='resume', step=step)

    def reals():
        idx = np.random.randint(0, len(data), a.batch)
        x = torch.from_numpy(data[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1
        return x

    def save():
        save_atomic({'G': G.state_dict(), 'D': D.state_dict(), 'G_ema': G_ema.state_dict(),
                     'opt_g': opt_g.state_dict(), 'opt_d': opt_d.state_dict(), 'step': step,
                     'seconds': seconds, 'rng': rng_state(), 'config': CONFIG}, ckpt)
        export_weights({'G_ema': G_ema, 'G': G, 'D': D}, os.path.join(a.out, 'weights.gnvw'))

    t0 = time.time() - seconds
    last_save = last_log = time.time()
    while time.time() - t0 < a.minutes * 60:
        # G: non-saturating loss on fakes, with style mixing so layer ranges are independent.
        z = torch.randn(a.batch, CONFIG['z_dim'])
        fake = G(z, noise=noise, track=True, mix_prob=mix_prob)
        loss_g = torch.nn.functional.softplus(-D(fake)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        # D: logistic loss, plus R1 on reals every `reg` steps (lazy regularisation).
        x = reals()
        with torch.no_grad():
            fake = G(torch.randn(a.batch, CONFIG['z_dim']), noise=noise, mix_prob=mix_prob)
        loss_d = torch.nn.functional.softplus(D(fake)).mean() + torch.nn.functional.softplus(-D(x)).mean()
        r1 = torch.zeros([])
        if step % reg == 0:
            x.requires_grad_(True)
            out = D(x)
            (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
            r1 = grad.square().sum([1, 2, 3]).mean()
            loss_d = loss_d + r1 * (a.r1_gamma / 2) * reg
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # EMA of G, ramped up over the first images.
        with torch.no_grad():
            kimg = (step + 1) * a.batch / 1000
            half = ema_half_life if ema_ramp is None else min(ema_half_life, kimg * 1000 * ema_ramp + 1)
            beta = 0.5 ** (a.batch / half)
            for pe, p in zip(G_ema.parameters(), G.parameters()):
                pe.copy_(p.lerp(pe, beta))
            for be, b in zip(G_ema.buffers(), G.buffers()):
                be.copy_(b)
        step += 1
        if not all(math.isfinite(v) for v in (loss_g.item(), loss_d.item())):
            log(event='nan', step=step)
            raise SystemExit('loss became NaN; the last checkpoint is intact')
        if time.time() - last_log > 30:
            seconds = time.time() - t0
            log(step=step, kimg=round(step * a.batch / 1000, 2), img_s=round(step * a.batch / seconds, 1),
                loss_g=round(loss_g.item(), 3), loss_d=round(loss_d.item(), 3), r1=round(r1.item(), 4))
            last_log = time.time()
        if time.time() - last_save > 300:
            seconds = time.time() - t0
            save()
            last_save = time.time()
    seconds = time.time() - t0
    save()
    log(event='done', step=step, kimg=step * a.batch / 1000, seconds=round(seconds))
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump({**CONFIG, 'steps': step, 'batch': a.batch, 'seconds': round(seconds), 'kimg': step * a.batch / 1000}, f)


if __name__ == '__main__':
    main()
