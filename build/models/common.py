"""Checkpointing, weight export, logging and run set-up shared by the pretraining scripts."""
import argparse
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


def run_arguments(batch):
    """The options every pretraining run has; scripts add their own to the returned parser."""
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--minutes', type=float, default=60)
    p.add_argument('--batch', type=int, default=batch)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    return p


def start_run(a):
    """Threads, output folder and the run's log, from the parsed options."""
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    return Log(os.path.join(a.out, 'log.jsonl'))


def load_weights(module, prefix, path, skip=()):
    """Reads an engine weight file (export_weights' format) into `module`'s tensors named '<prefix>.<key>'; keys
    in `skip` keep their initial values. Returns the keys loaded."""
    with open(path, 'rb') as f:
        assert f.read(4) == b'GNVW', f'{path} is not a GNVW weight file'
        n = struct.unpack('<I', f.read(4))[0]
        index = json.loads(f.read(n))
        data = f.read()
    state = module.state_dict()
    loaded = []
    for t in index['tensors']:
        if not t['name'].startswith(prefix + '.'):
            continue
        key = t['name'][len(prefix) + 1:]
        if key in skip or key not in state:
            continue
        count = int(np.prod(t['shape'])) if t['shape'] else 1
        arr = np.frombuffer(data, '<f4', count, t['offset']).reshape(t['shape'])
        state[key] = torch.from_numpy(arr.copy())
        loaded.append(key)
    module.load_state_dict(state)
    return loaded
