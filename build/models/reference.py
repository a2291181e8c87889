"""Writes reference outputs of the PyTorch twins on fixed inputs, for the engine's equality tests.

  reference.py generator WEIGHTS OUT   # G_ema from WEIGHTS (a GNVW file) or, with WEIGHTS = random:SEED, a fresh net
  reference.py inpainter WEIGHTS OUT

OUT is a GNVW file holding the inputs (z, ws, image, mask) and the outputs (w, w_psi, image_out, inpainted) so
the engine's test can compare without PyTorch installed.
"""
import json
import struct
import sys

import numpy as np
import torch

from common import export_weights
from nets import Generator, Inpainter
from pyramid_fill import pyramid_fill
from train_generator import CONFIG as GCONFIG
from train_inpainter import CONFIG as ICONFIG


def read_weights(path):
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:4] == b'GNVW'
    n = struct.unpack('<I', data[4:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for t in header['tensors']:
        count = int(np.prod(t['shape'])) if t['shape'] else 1
        out[t['name']] = torch.from_numpy(np.frombuffer(data, '<f4', count, base + t['offset']).reshape(t['shape']).copy())
    return out


def load(module, weights, prefix):
    module.load_state_dict({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)})


class Bag(torch.nn.Module):
    def __init__(self, tensors):
        super().__init__()
        for k, v in tensors.items():
            self.register_buffer(k, v)


def main():
    kind, weights, out = sys.argv[1:4]
    torch.manual_seed(1234)
    if kind == 'generator':
        G = Generator(GCONFIG['z_dim'], GCONFIG['w_dim'], GCONFIG['mapping_layers'], GCONFIG['resolution'], GCONFIG['g_channels']).eval()
        if weights.startswith('random:'):
            torch.manual_seed(int(weights.split(':')[1]))
            for p in G.parameters():  # make biases and noise strengths non-zero so every parameter is checked
                p.data.add_(torch.randn_like(p) * 0.1)
            G.mapping.w_avg.normal_()
            export_weights({'G_ema': G}, out + '.weights.gnvw')
        else:
            load(G, read_weights(weights), 'G_ema.')
        z = torch.randn(4, GCONFIG['z_dim'])
        with torch.no_grad():
            w = G.mapping(z)
            w_psi = G.mapping(z, psi=0.7)
            ws = torch.randn(4, G.num_ws, GCONFIG['w_dim']) * 0.5 + w_psi[:, None]
            image = G.synthesis(ws, noise='const')
        bag = Bag({'z': z, 'w': w, 'w_psi': w_psi, 'ws': ws, 'image': image})
    else:
        net = Inpainter(ICONFIG['channels'], prefill=ICONFIG.get('prefill') == 'pyramid').eval()
        if weights.startswith('random:'):
            torch.manual_seed(int(weights.split(':')[1]))
            for p in net.parameters():
                p.data.add_(torch.randn_like(p) * 0.05)
            export_weights({'G': net}, out + '.weights.gnvw')
        else:
            load(net, read_weights(weights), 'G.')
        image = torch.rand(2, 3, 64, 96) * 2 - 1
        mask = torch.zeros(2, 1, 64, 96)
        mask[0, :, 10:40, 20:50] = 1
        mask[1, :, 30:60, 50:90] = 1
        if net.prefill:
            image = pyramid_fill(image, mask)  # what the engine hands a prefill net
        with torch.no_grad():
            inpainted, _ = net(image, mask)
        bag = Bag({'image': image, 'mask': mask, 'inpainted': inpainted})
    export_weights({'ref': bag}, out)


if __name__ == '__main__':
    main()
