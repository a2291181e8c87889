"""Checkpointing, weight export and logging shared by the pretraining scripts."""
import json
import os
import struct
import time

import numpy as np
import torch


def save_atomic(obj, path):
    """torch.save to a temporary file, then rename: a killed run leaves the previous checkpoint intact."""
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def rng_state():
    return {'torch': torch.get_rng_state(), 'numpy': np.random.get_state()}


def set_rng_state(s):
    torch.set_rng_state(s['torch'])
    np.random.set_state(s['numpy'])


def export_weights(modules, path):
    """Writes float32 tensors as the engine's weight file: a JSON index line, then the little-endian data.

    Names are '<module>.<state_dict key>'; spectral-norm weights are exported already divided by σ."""
    index, blobs, offset = [], [], 0
    for prefix, module in modules.items():
        for key, t in module.state_dict().items():
            arr = t.detach().cpu().numpy().astype('<f4')
            index.append({'name': f'{prefix}.{key}', 'shape': list(arr.shape), 'offset': offset})
            blobs.append(arr.tobytes())
            offset += arr.nbytes
    header = json.dumps({'format': 'ganvas-weights-1', 'tensors': index}).encode()
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(b'GNVW')
        f.write(struct.pack('<I', len(header)))
        f.write(header)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


class Log:
    def __init__(self, path):
        self.f = open(path, 'a')
        self.start = time.time()

    def __call__(self, **kv):
        kv['t'] = round(time.time() - self.start, 1)
        line = json.dumps(kv)
        print(line, flush=True)
        self.f.write(line + '\n')
        self.f.flush()
