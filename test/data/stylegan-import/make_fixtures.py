"""Writes the small synthetic checkpoints test/stylegan-import.test.ts reads (run once; the outputs are committed).

Usage: /usr/bin/python3 test/data/stylegan-import/make_fixtures.py   (torch 1.13 + numpy; writes next to this file)

Nothing here comes from NVlabs or rosinality code. The NVlabs-style files are built with stand-in modules named
`torch_utils.persistence` and `dnnlib.util`, registered in sys.modules only so that pickle writes the same global
names real network pickles use; tensors are real torch tensors, so torch writes its own storage format (nested
legacy torch.save streams under torch.storage._load_from_bytes). The rosinality-style files are torch.save of
state dicts (zip and legacy formats). Weights are random and tiny: these files test the reader, not rendering.
"""
import argparse
import collections
import os
import pickle
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(1234)


def _register(name):
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    return mod


persistence = _register('torch_utils.persistence')
_register('torch_utils').persistence = persistence
dnnlib_util = _register('dnnlib.util')
_register('dnnlib').util = dnnlib_util


def _reconstruct_persistent_obj(meta):  # never called: only its name is pickled
    raise RuntimeError('not for loading')


_reconstruct_persistent_obj.__module__ = 'torch_utils.persistence'
persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj


class EasyDict(dict):
    pass


EasyDict.__module__ = 'dnnlib.util'
EasyDict.__qualname__ = 'EasyDict'
dnnlib_util.EasyDict = EasyDict


class Module:
    """Pickles as NVlabs persistent modules do: _reconstruct_persistent_obj(meta)."""

    def __init__(self, class_name, params=None, buffers=None, modules=None, attrs=None, init_kwargs=None):
        self.meta = dict(type='class', version=6, module_src='# synthetic test module\n', class_name=class_name, state=dict(
            training=False,
            _parameters=collections.OrderedDict((k, None if v is None else torch.nn.Parameter(torch.tensor(v, dtype=torch.float32), requires_grad=False)) for k, v in (params or {}).items()),
            _buffers=collections.OrderedDict((k, None if v is None else torch.tensor(v, dtype=torch.float32)) for k, v in (buffers or {}).items()),
            _non_persistent_buffers_set=set(),
            _modules=collections.OrderedDict(modules or {}),
            **(attrs or {}),
            _init_args=(),
            _init_kwargs=EasyDict(init_kwargs or {}),
        ))

    def __reduce__(self):
        return (_reconstruct_persistent_obj, (self.meta,))


Z, W = 8, 8
CH = {4: 6, 8: 5}
RES = 8


def randn(*shape):
    return rng.randn(*shape).astype(np.float32)


def fc(out_f, in_f, lr, activation):
    return Module('FullyConnectedLayer', params=dict(weight=randn(out_f, in_f), bias=randn(out_f)),
                  attrs=dict(activation=activation, weight_gain=np.float64(lr / np.sqrt(in_f)), bias_gain=lr))


FILTER = (np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64).astype(np.float32)


def layer(in_c, out_c, res, up):
    return Module('SynthesisLayer', params=dict(weight=randn(out_c, in_c, 3, 3), noise_strength=np.float32(rng.randn()), bias=randn(out_c)),
                  buffers=dict(resample_filter=FILTER, noise_const=randn(res, res)), modules=dict(affine=fc(in_c, W, 1.0, 'linear')),
                  attrs=dict(resolution=res, up=up, use_noise=True, activation='lrelu', conv_clamp=256, padding=1, act_gain=np.float64(np.sqrt(2))))


def torgb(in_c):
    return Module('ToRGBLayer', params=dict(weight=randn(3, in_c, 1, 1), bias=randn(3)), modules=dict(affine=fc(in_c, W, 1.0, 'linear')),
                  attrs=dict(conv_clamp=256, weight_gain=np.float64(1 / np.sqrt(in_c)), use_fp16=np.bool_(False)))


def generator(resolution=RES, drop=None, architecture='skip', zero_inner_torgb=False):
    """A StyleGAN2-ADA-shaped G: mapping (2 fc), blocks b4 and b8, skip architecture. `drop`: a tensor left out."""
    mapping = Module('MappingNetwork', buffers=dict(w_avg=randn(W)), modules=dict(fc0=fc(W, Z, 0.01, 'lrelu'), fc1=fc(W, W, 0.01, 'lrelu')),
                     attrs=dict(z_dim=Z, c_dim=0, w_dim=W, num_ws=4, num_layers=2, w_avg_beta=0.995))
    b4_modules = dict(conv1=layer(CH[4], CH[4], 4, 1))
    inner_rgb = torgb(CH[4])
    if zero_inner_torgb:  # a skip net whose inner ToRGB adds nothing renders as its 'orig' twin
        for k in ('weight', 'bias'):
            inner_rgb.meta['state']['_parameters'][k].data.zero_()
    if architecture == 'skip':
        b4_modules['torgb'] = inner_rgb
    b4 = Module('SynthesisBlock', params=dict(const=randn(CH[4], 4, 4)), buffers=dict(resample_filter=FILTER),
                modules=b4_modules, attrs=dict(resolution=4, architecture=architecture, is_last=False))
    b8 = Module('SynthesisBlock', buffers=dict(resample_filter=FILTER),
                modules=dict(conv0=layer(CH[4], CH[8], 8, 2), conv1=layer(CH[8], CH[8], 8, 1), torgb=torgb(CH[8])),
                attrs=dict(resolution=8, architecture=architecture, is_last=True))
    if drop:
        del b8.meta['state']['_modules'][drop[0]].meta['state']['_parameters'][drop[1]]
    synthesis = Module('SynthesisNetwork', modules=dict(b4=b4, b8=b8), attrs=dict(w_dim=W, img_resolution=resolution, block_resolutions=[4, 8], num_ws=4))
    return Module('Generator', modules=dict(synthesis=synthesis, mapping=mapping),
                  attrs=dict(z_dim=Z, c_dim=0, w_dim=W, img_resolution=resolution, img_channels=3, num_ws=4),
                  init_kwargs=dict(z_dim=Z, w_dim=W, c_dim=0, img_resolution=resolution, img_channels=3, mapping_kwargs=EasyDict(num_layers=2)))


def discriminator():
    return Module('Discriminator', modules=dict(b8=Module('DiscriminatorBlock', params=dict(weight=randn(4, 3, 3, 3)))),
                  attrs=dict(c_dim=0, img_resolution=RES, img_channels=3))


def dump(name, obj):
    with open(os.path.join(HERE, name), 'wb') as f:
        pickle.dump(obj, f, protocol=4)


def mapping_reference(G, z, psi):
    """w from the synthetic G_ema's mapping (pixel norm, fc + lrelu·√2, truncation), in float64."""
    st = G.meta['state']['_modules']['mapping'].meta['state']
    x = z.astype(np.float64)
    x = x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True) + 1e-8)
    for i in range(2):
        fc_state = st['_modules'][f'fc{i}'].meta['state']
        w = fc_state['_parameters']['weight'].detach().numpy().astype(np.float64) * float(fc_state['weight_gain'])
        b = fc_state['_parameters']['bias'].detach().numpy().astype(np.float64) * fc_state['bias_gain']
        x = x @ w.T + b
        x = np.where(x >= 0, x, 0.2 * x) * np.sqrt(2)
    avg = st['_buffers']['w_avg'].numpy().astype(np.float64)
    return (avg + psi * (x - avg)).astype(np.float32)


# 1. A valid tiny NVlabs snapshot: G and G_ema differ, so reading G by mistake shows.
G, G_ema = generator(), generator()
dump('tiny-sg2.pkl', dict(training_set_kwargs=EasyDict(class_name='training.dataset.ImageFolderDataset', resolution=RES),
                          G=G, D=discriminator(), G_ema=G_ema, augment_pipe=None))
z = randn(3, Z)
np.savez(os.path.join(HERE, 'tiny-sg2.ref.npz'), z=z, w_psi1=mapping_reference(G_ema, z, 1.0), w_psi07=mapping_reference(G_ema, z, 0.7),
         w_avg=G_ema.meta['state']['_modules']['mapping'].meta['state']['_buffers']['w_avg'].numpy(),
         g_w_avg=G.meta['state']['_modules']['mapping'].meta['state']['_buffers']['w_avg'].numpy())

# 2. Wrong kinds: a discriminator-only pickle, a dataset saved with torch.save.
dump('d-only.pkl', dict(D=discriminator(), augment_pipe=None))
torch.save(dict(images=torch.randint(0, 255, (4, 3, 8, 8), dtype=torch.uint8), labels=torch.arange(4)), os.path.join(HERE, 'dataset.pt'))

# An NVlabs dataset (dataset_tool.py writes a zip of images and dataset.json), dropped by mistake.
import zipfile  # noqa: E402
with zipfile.ZipFile(os.path.join(HERE, 'dataset-images.zip'), 'w') as z:
    z.writestr('00000/img00000000.png', b'\x89PNG\r\n\x1a\n' + bytes(16))
    z.writestr('dataset.json', '{"labels": null}')

# 3. An unknown global: unpickling this in Python would call builtins.eval and write a marker file.
class Evil:
    def __reduce__(self):
        return (eval, ("open('/tmp/ganvas-pickle-was-executed', 'w').write('executed')",))


dump('evil-global.pkl', dict(training_set_kwargs=EasyDict(resolution=RES), G_ema=Evil()))

# 4. Incomplete or absurd NVlabs generators.
dump('missing-tensor.pkl', dict(G_ema=generator(drop=('conv1', 'weight'))))
dump('absurd-resolution.pkl', dict(G_ema=generator(resolution=65536)))
# The same weights (same seed) as 'skip' with a zero inner ToRGB, and as 'orig' without it: they must render alike.
state = rng.get_state()
dump('twin-skip.pkl', dict(G_ema=generator(zero_inner_torgb=True)))
rng.set_state(state)
dump('twin-orig.pkl', dict(G_ema=generator(architecture='orig')))
# A pickle can build cycles: an attribute list that contains itself must not send the reader into endless recursion.
cyclic = generator()
loop = []
loop.append(loop)
cyclic.meta['state']['loop'] = loop
dump('cyclic-attribute.pkl', dict(G_ema=cyclic))


# 5. rosinality-style g_ema state dicts (size 8: conv1, convs.0/1, to_rgb1, to_rgbs.0, noises 0..2).
def rosinality_g_ema(drop=None, extra_blocks=0):
    t = collections.OrderedDict()
    for i in range(1, 4):
        t[f'style.{i}.weight'] = randn(W, Z if i == 1 else W)
        t[f'style.{i}.bias'] = randn(W)
    t['input.input'] = randn(1, CH[4], 4, 4)

    def styled(p, out_c, in_c, k):
        t[f'{p}.conv.weight'] = randn(1, out_c, in_c, k, k)
        t[f'{p}.conv.modulation.weight'] = randn(in_c, W)
        t[f'{p}.conv.modulation.bias'] = randn(in_c)

    def conv(p, out_c, in_c, blur):
        styled(p, out_c, in_c, 3)
        if blur:
            t[f'{p}.conv.blur.kernel'] = FILTER * 4
        t[f'{p}.noise.weight'] = randn(1)
        t[f'{p}.activate.bias'] = randn(out_c)

    conv('conv1', CH[4], CH[4], False)
    styled('to_rgb1', 3, CH[4], 1)
    t['to_rgb1.bias'] = randn(1, 3, 1, 1)
    conv('convs.0', CH[8], CH[4], True)
    conv('convs.1', CH[8], CH[8], False)
    styled('to_rgbs.0', 3, CH[8], 1)
    t['to_rgbs.0.bias'] = randn(1, 3, 1, 1)
    t['to_rgbs.0.upsample.kernel'] = FILTER * 4
    for k in range(1, 1 + extra_blocks):  # only the tensors the block count is read from
        t[f'to_rgbs.{k}.conv.weight'] = randn(1, 3, 1, 1, 1)
    for i, r in enumerate([4, 8, 8]):
        t[f'noises.noise_{i}'] = randn(1, 1, r, r)
    if drop:
        del t[drop]
    return collections.OrderedDict((k, torch.tensor(v)) for k, v in t.items())


args = argparse.Namespace(size=RES, latent=W, n_mlp=3, channel_multiplier=2, arch='stylegan2')
torch.save(dict(g=rosinality_g_ema(), d=collections.OrderedDict(w=torch.zeros(2)), g_ema=rosinality_g_ema(), args=args, ada_aug_p=0.1),
           os.path.join(HERE, 'tiny-rosinality.pt'))
# convert_weight.py's layout ({g_ema, latent_avg}) in the legacy (pre-zip) torch.save format.
torch.save(dict(g_ema=rosinality_g_ema(), latent_avg=torch.tensor(randn(W))), os.path.join(HERE, 'tiny-rosinality-legacy.pt'),
           _use_new_zipfile_serialization=False)
torch.save(dict(g_ema=rosinality_g_ema(drop='noises.noise_2')), os.path.join(HERE, 'rosinality-missing-noise.pt'))
torch.save(dict(g_ema=rosinality_g_ema(extra_blocks=12)), os.path.join(HERE, 'rosinality-absurd-resolution.pt'))


# 6. Tensor layouts the reader must honour: a transposed view and an offset slice sharing one storage, and the
# float dtypes checkpoints use (half, bfloat16, double). Saved in both containers; also nested in a pickle.
base = torch.tensor((np.arange(12, dtype=np.float32) * 0.37 - 1.1).reshape(3, 4))  # fixed values, independent of the other files
layouts = collections.OrderedDict(a=base, a_t=base.t(), a_slice=base[1:, 2:], a_half=base.half(), a_bf16=base.bfloat16(), a_double=base.double())
torch.save(layouts, os.path.join(HERE, 'layouts.pt'))
torch.save(layouts, os.path.join(HERE, 'layouts-legacy.pt'), _use_new_zipfile_serialization=False)
dump('layouts.pkl', layouts)
# Expanded views (stride 0): a small one reads as repeated values; one unfolding to 2^25 values is refused.
torch.save(dict(small=torch.tensor([1.5]).expand(4), huge=torch.tensor([1.5]).expand(1 << 25)), os.path.join(HERE, 'expanded.pt'))

for name in sorted(os.listdir(HERE)):
    print(f'{os.path.getsize(os.path.join(HERE, name)):>8}  {name}')
