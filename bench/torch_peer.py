"""The PyTorch peer for bench/nets.ts: the same architectures (build/models/nets.py), 2 threads, timed in the
same run. Reads the cases as JSON on argv[1]; prints {name: milliseconds} as JSON."""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'build', 'models'))
from nets import Discriminator, Generator, Inpainter  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


def timed(fn, reps):
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps * 1000


def chans(c):
    return {int(k): v for k, v in c.items()}


def generator_case(c):
    G = Generator(c['zDim'], c['wDim'], c['mappingLayers'], c['resolution'], chans(c['channels'])).eval()
    z = torch.randn(c['batch'], c['zDim'])

    def run():
        with torch.no_grad():
            w = G.mapping(z)
            G.synthesis(w[:, None].repeat(1, G.num_ws, 1), noise='const')
    return timed(run, c['reps'])


def inpainter_case(c):
    net = Inpainter(c['channels']).eval()
    s = c['resolution']
    image, mask = torch.rand(c['batch'], 3, s, s) * 2 - 1, torch.zeros(c['batch'], 1, s, s)
    mask[:, :, s // 4: s // 2, s // 4: s // 2] = 1

    def run():
        with torch.no_grad():
            net(image, mask)
    return timed(run, c['reps'])


def train_case(c):
    """The steps GanTrainer takes: G non-saturating step; D logistic step with R1 on every r1Every-th step."""
    G = Generator(c['zDim'], c['wDim'], c['mappingLayers'], c['resolution'], chans(c['channels']))
    D = Discriminator(c['resolution'], chans(c['channels']))
    opt_g = torch.optim.Adam(G.parameters(), lr=0.002, betas=(0, 0.99))
    opt_d = torch.optim.Adam(D.parameters(), lr=0.002, betas=(0, 0.99))
    b, s = c['batch'], c['resolution']
    reals = torch.rand(b, 3, s, s) * 2 - 1
    state = {'step': 0}

    def step():
        fake = G(torch.randn(b, c['zDim']), noise='const')
        loss_g = F.softplus(-D(fake)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            fake = G(torch.randn(b, c['zDim']), noise='const')
        x = reals.clone().requires_grad_(state['step'] % c['r1Every'] == 0)
        loss_d = F.softplus(D(fake)).mean() + F.softplus(-D(x)).mean()
        if x.requires_grad:
            (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
            loss_d = loss_d + g.square().sum([1, 2, 3]).mean() * 0.1 * c['r1Every']
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        state['step'] += 1
    return timed(step, c['reps'])


cases = json.loads(sys.argv[1])
out = {}
for case in cases:
    fn = {'generator': generator_case, 'inpainter': inpainter_case, 'train': train_case}[case['kind']]
    out[case['name']] = fn(case)
print(json.dumps(out))
