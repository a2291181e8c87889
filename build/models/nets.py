"""The engine's networks in PyTorch, for pretraining the shipped models on 2 CPU cores.

This file mirrors engine/nets/*.ts layer for layer and parameter name for parameter name: the engine loads the
weights this script writes. test/twins.test.ts pins it with fixtures that twin_fixtures.py writes (stamped with
this file's SHA-256: after any change here, run /usr/bin/python3 build/models/twin_fixtures.py and commit them),
and test/shipped-models.test.ts checks the shipped models against this file's outputs on fixed inputs. Layouts follow the engine: fc weights are [in, out]; conv weights are [out, in, kh, kw].
"""
import math
import torch
import torch.nn.functional as F
from torch import nn

SQRT2 = math.sqrt(2.0)


def lrelu(x):
    return F.leaky_relu(x, 0.2) * SQRT2


class EqualizedDense(nn.Module):
    """fc with equalized learning rate: weight ~ N(0, 1/lr_mul²), scaled by lr_mul/√fan_in at run time."""

    def __init__(self, fin, fout, activation='linear', lr_mul=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fin, fout) / lr_mul)
        self.bias = nn.Parameter(torch.full([fout], float(bias_init)))
        self.w_scale = lr_mul / math.sqrt(fin)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x):
        y = x @ (self.weight * self.w_scale) + self.bias * self.lr_mul
        return lrelu(y) if self.activation == 'lrelu' else y


def normalize_2nd_moment(x):
    return x * torch.rsqrt(x.square().mean(1, keepdim=True) + 1e-8)


class MappingNetwork(nn.Module):
    def __init__(self, z_dim, w_dim, layers, lr_mul=0.01, w_avg_beta=0.995):
        super().__init__()
        self.fcs = nn.ModuleList([EqualizedDense(z_dim if i == 0 else w_dim, w_dim, 'lrelu', lr_mul) for i in range(layers)])
        self.register_buffer('w_avg', torch.zeros(w_dim))
        self.w_avg_beta = w_avg_beta

    def forward(self, z, psi=1.0, track=False):
        x = normalize_2nd_moment(z)
        for fc in self.fcs:
            x = fc(x)
        if track:
            self.w_avg.copy_(x.detach().mean(0).lerp(self.w_avg, self.w_avg_beta))
        return x if psi == 1 else self.w_avg.lerp(x, psi)


def upsample_nearest(x):
    return F.interpolate(x, scale_factor=2, mode='nearest')


BLUR = torch.tensor([1.0, 2.0, 1.0])
BLUR = (BLUR[:, None] * BLUR[None, :]) / 16


def blur(x):
    """3×3 binomial blur with edge padding; smooths the nearest-upsampled RGB skip."""
    c = x.shape[1]
    k = BLUR.to(x)[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(F.pad(x, [1, 1, 1, 1], mode='replicate'), k, groups=c)


class ModulatedConv(nn.Module):
    """StyleGAN2's modulated conv as scale → shared conv → demodulate, which equals the grouped-weight form."""

    def __init__(self, w_dim, cin, cout, k, demodulate=True, up=False, res=4):
        super().__init__()
        self.affine = EqualizedDense(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.w_gain = 1 / math.sqrt(cin * k * k)
        self.demodulate, self.up, self.k = demodulate, up, k

    def forward(self, x, w):
        s = self.affine(w)
        weight = self.weight * self.w_gain
        if self.up:
            x = upsample_nearest(x)
        y = F.conv2d(x * s[:, :, None, None], weight, padding=self.k // 2)
        if self.demodulate:
            d = torch.rsqrt(s.square() @ weight.square().sum([2, 3]).t() + 1e-8)
            y = y * d[:, :, None, None]
        return y


class SynthesisLayer(nn.Module):
    """modulated 3×3 conv + per-pixel noise × learned strength + bias + lrelu."""

    def __init__(self, w_dim, cin, cout, res, up=False):
        super().__init__()
        self.conv = ModulatedConv(w_dim, cin, cout, 3, up=up)
        self.noise_strength = nn.Parameter(torch.zeros([1]))
        self.register_buffer('noise_const', torch.randn(res, res))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.res = res

    def forward(self, x, w, noise='random'):
        y = self.conv(x, w)
        if noise == 'random':
            n = torch.randn(x.shape[0], 1, self.res, self.res)
        else:
            n = self.noise_const[None, None]
        return lrelu(y + n * self.noise_strength + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    def __init__(self, w_dim, cin):
        super().__init__()
        self.conv = ModulatedConv(w_dim, cin, 3, 1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x, w):
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisBlock(nn.Module):
    """One resolution: (upsampling conv0) + conv1 + toRGB added to the upsampled RGB skip."""

    def __init__(self, w_dim, cin, cout, res):
        super().__init__()
        self.res = res
        if res == 4:
            self.const = nn.Parameter(torch.randn(cout, 4, 4))
        else:
            self.conv0 = SynthesisLayer(w_dim, cin, cout, res, up=True)
        self.conv1 = SynthesisLayer(w_dim, cout, cout, res)
        self.torgb = ToRGB(w_dim, cout)
        self.num_ws = 1 if res == 4 else 2

    def forward(self, x, img, ws, noise):
        i = 0
        if self.res == 4:
            x = self.const[None].repeat(ws.shape[0], 1, 1, 1)
        else:
            x = self.conv0(x, ws[:, 0], noise)
            i = 1
        x = self.conv1(x, ws[:, i], noise)
        y = self.torgb(x, ws[:, i + 1])
        img = y if img is None else blur(upsample_nearest(img)) + y
        return x, img


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim, resolution, channels):
        super().__init__()
        self.resolutions = [2 ** i for i in range(2, int(math.log2(resolution)) + 1)]
        self.blocks = nn.ModuleList()
        for res in self.resolutions:
            cin = channels[res // 2] if res > 4 else channels[4]
            self.blocks.append(SynthesisBlock(w_dim, cin, channels[res], res))
        self.num_ws = 2 * len(self.resolutions)

    def forward(self, ws, noise='random'):
        x = img = None
        first = 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, first:first + block.num_ws + 1], noise)
            first += block.num_ws
        return img


class Generator(nn.Module):
    def __init__(self, z_dim, w_dim, mapping_layers, resolution, channels):
        super().__init__()
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.synthesis = SynthesisNetwork(w_dim, resolution, channels)
        self.num_ws = self.synthesis.num_ws

    def forward(self, z, psi=1.0, noise='random', track=False, mix_prob=0.0):
        w = self.mapping(z, psi, track)
        ws = w[:, None].repeat(1, self.num_ws, 1)
        if mix_prob > 0 and torch.rand([]) < mix_prob:
            cut = int(torch.randint(1, self.num_ws, []))
            w2 = self.mapping(torch.randn_like(z), psi)
            ws[:, cut:] = w2[:, None]
        return self.synthesis(ws, noise)


# ---- discriminators ------------------------------------------------------------------------------------------

class EqualizedConv(nn.Module):
    def __init__(self, cin, cout, k, activation='lrelu', bias=True, down=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.w_gain = 1 / math.sqrt(cin * k * k)
        self.activation, self.down, self.k = activation, down, k

    def forward(self, x):
        y = F.conv2d(x, self.weight * self.w_gain, self.bias, padding=self.k // 2)
        if self.down:
            y = F.avg_pool2d(y, 2)
        return lrelu(y) if self.activation == 'lrelu' else y


class DiscriminatorBlock(nn.Module):
    """Residual: conv → conv + avgpool, plus an avgpooled 1×1 skip, summed and scaled by 1/√2."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv0 = EqualizedConv(cin, cin, 3)
        self.conv1 = EqualizedConv(cin, cout, 3, down=True)
        self.skip = EqualizedConv(cin, cout, 1, activation='linear', bias=False, down=True)

    def forward(self, x):
        return (self.skip(x) + self.conv1(self.conv0(x))) / SQRT2


def minibatch_stddev(x, group=4):
    b, c, h, w = x.shape
    g = min(group, b)
    y = x.reshape(g, -1, c, h, w)
    y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean([1, 2, 3])
    y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], 1)


class Discriminator(nn.Module):
    def __init__(self, resolution, channels):
        super().__init__()
        self.fromrgb = EqualizedConv(3, channels[resolution], 1)
        res = [2 ** i for i in range(int(math.log2(resolution)), 2, -1)]
        self.blocks = nn.ModuleList([DiscriminatorBlock(channels[r], channels[r // 2]) for r in res])
        c4 = channels[4]
        self.conv = EqualizedConv(c4 + 1, c4, 3)
        self.fc = EqualizedDense(c4 * 16, c4, 'lrelu')
        self.out = EqualizedDense(c4, 1)

    def forward(self, img):
        x = self.fromrgb(img)
        for block in self.blocks:
            x = block(x)
        x = self.conv(minibatch_stddev(x))
        return self.out(self.fc(x.flatten(1)))


# ---- inpainter -------------------------------------------------------------------------------------------------

class GatedConv(nn.Module):
    """DeepFill v2's gated convolution: features ELU(conv_f(x)) gated by sigmoid(conv_g(x)), learned per pixel."""

    def __init__(self, cin, cout, k=3, stride=1, dilation=1, activation='elu'):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(2 * cout, cin, k, k) * math.sqrt(2 / (cin * k * k)))
        self.bias = nn.Parameter(torch.zeros(2 * cout))
        self.stride, self.dilation, self.pad, self.cout = stride, dilation, dilation * (k // 2), cout
        self.activation = activation

    def forward(self, x):
        y = F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.pad, dilation=self.dilation)
        f, g = y[:, :self.cout], y[:, self.cout:]
        if self.activation == 'elu':
            f = F.elu(f)
        return f * torch.sigmoid(g)


class Inpainter(nn.Module):
    """Gated-conv encoder (÷4), dilated gated middle (2, 4, 8, 16), nearest-upsampling gated decoder.

    Input: the image with its hole zeroed (or, with prefill, pyramid-filled) and the mask (1 = hole). The output
    keeps the known pixels exactly."""

    def __init__(self, c=16, prefill=False):
        super().__init__()
        # prefill: the hole arrives already filled by the classical pyramid fill, and the net learns a correction
        # to it (fill = clamp(prefilled + residual)), so an untrained net starts at the classical fill.
        self.prefill = prefill
        self.enc = nn.ModuleList([
            GatedConv(4, c, 5), GatedConv(c, 2 * c, 3, stride=2), GatedConv(2 * c, 2 * c),
            GatedConv(2 * c, 4 * c, 3, stride=2), GatedConv(4 * c, 4 * c)])
        self.mid = nn.ModuleList([GatedConv(4 * c, 4 * c, dilation=d) for d in (2, 4, 8, 16)] +
                                 [GatedConv(4 * c, 4 * c), GatedConv(4 * c, 4 * c)])
        self.dec = nn.ModuleList([GatedConv(4 * c, 2 * c), GatedConv(2 * c, 2 * c),
                                  GatedConv(2 * c, c), GatedConv(c, c // 2)])
        self.to_rgb = nn.Parameter(torch.randn(3, c // 2, 3, 3) * math.sqrt(1 / (c // 2 * 9)))
        self.to_rgb_bias = nn.Parameter(torch.zeros(3))

    def forward(self, image, mask):
        x = torch.cat([image if self.prefill else image * (1 - mask), mask], 1)
        for layer in self.enc:
            x = layer(x)
        for layer in self.mid:
            x = layer(x)
        for i, layer in enumerate(self.dec):
            if i in (0, 2):
                x = upsample_nearest(x)
            x = layer(x)
        y = F.conv2d(x, self.to_rgb, self.to_rgb_bias, padding=1)
        fill = torch.clamp(image + y, -1, 1) if self.prefill else torch.tanh(y)
        return image * (1 - mask) + fill * mask, fill


def spectral_norm_conv(cin, cout, k, stride):
    return nn.utils.spectral_norm(nn.Conv2d(cin, cout, k, stride, k // 2))


class PatchDiscriminator(nn.Module):
    """SN-PatchGAN (DeepFill v2): strided 5×5 spectral-norm convs over image + mask, one score per patch."""

    def __init__(self, c=32):
        super().__init__()
        chans = [4, c, 2 * c, 4 * c, 4 * c, 4 * c]
        self.convs = nn.ModuleList([spectral_norm_conv(chans[i], chans[i + 1], 5, 2) for i in range(5)])

    def forward(self, image, mask):
        x = torch.cat([image, mask], 1)
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        return x
