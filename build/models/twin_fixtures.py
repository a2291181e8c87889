"""Pins the PyTorch twins (nets.py) with small committed fixtures, so the engine's tests compare against them
without PyTorch: seeded generator, discriminator and inpainter weights, fixed inputs and the twins' outputs,
stamped with the SHA-256 of nets.py (test/twins.test.ts refuses a stale stamp).

  /usr/bin/python3 build/models/twin_fixtures.py              # rewrites test/fixtures/twins.gnvw and twins.json
  /usr/bin/python3 build/models/twin_fixtures.py --out DIR    # the same into DIR (the live comparison's fresh copy)
"""
import argparse
import hashlib
import json
import os

import torch

from common import export_weights
from nets import Discriminator, Generator, Inpainter

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', '..', 'test', 'fixtures')
COMMAND = '/usr/bin/python3 build/models/twin_fixtures.py'
# Small on purpose: every layer kind of the shipped nets, at sizes whose weights fit in ~100 KB.
G_CONFIG = {'z_dim': 16, 'w_dim': 16, 'mapping_layers': 2, 'resolution': 16, 'channels': {4: 16, 8: 16, 16: 8}}
I_CHANNELS = 4
PSI = 0.7


def nets_py_sha256():
    with open(os.path.join(HERE, 'nets.py'), 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def perturb(module, seed):
    """Freshly initialised biases, noise strengths and w_avg are zero: move every tensor so each one is checked."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * 0.1)
        for name, b in module.named_buffers():
            if name.endswith('w_avg'):
                b.normal_()


class Bag(torch.nn.Module):
    def __init__(self, tensors):
        super().__init__()
        for k, v in tensors.items():
            self.register_buffer(k, v.detach().contiguous())


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', default=FIXTURES)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    c = G_CONFIG
    G = Generator(c['z_dim'], c['w_dim'], c['mapping_layers'], c['resolution'], c['channels']).eval()
    D = Discriminator(c['resolution'], c['channels']).eval()
    I = Inpainter(I_CHANNELS, prefill=False).eval()
    for k, net in enumerate((G, D, I)):
        perturb(net, 10 + k)

    torch.manual_seed(1)
    z = torch.randn(3, c['z_dim'])
    ws = torch.randn(3, G.num_ws, c['w_dim'])
    img = torch.rand(4, 3, c['resolution'], c['resolution']) * 2 - 1
    image = torch.rand(2, 3, 16, 24) * 2 - 1
    mask = torch.zeros(2, 1, 16, 24)
    mask[0, :, 4:12, 6:14] = 1
    mask[1, :, 0:8, 12:24] = 1
    with torch.no_grad():
        out = {'w': G.mapping(z), 'w_psi': G.mapping(z, psi=PSI), 'image': G.synthesis(ws, noise='const'), 'logits': D(img)}
        out['inpainted'] = I(image, mask)[0]
        I.prefill = True  # the same weights, run as a prefill net: the hole arrives filled and the net corrects it
        out['inpainted_prefill'] = I(image, mask)[0]
    export_weights({'G': G, 'D': D, 'I': I, 'in': Bag({'z': z, 'ws': ws, 'img': img, 'image': image, 'mask': mask}), 'out': Bag(out)},
                   os.path.join(a.out, 'twins.gnvw'))
    stamp = {'netsPySha256': nets_py_sha256(), 'command': COMMAND, 'torch': torch.__version__, 'psi': PSI,
             'generator': {**c, 'channels': {str(k): v for k, v in c['channels'].items()}}, 'inpainterChannels': I_CHANNELS}
    with open(os.path.join(a.out, 'twins.json'), 'w') as f:
        json.dump(stamp, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
