"""Push-pull pyramid fill with harmonic relaxation, the PyTorch twin of engine/edit/pyramid-fill.ts (the classical
fill the shipped inpainter refines). Works on batches in any value range; known pixels are kept exactly."""
import torch
import torch.nn.functional as F

RELAX_COARSE, RELAX_FINE, OMEGA = 8, 40, 1.8
CROSS = torch.tensor([[0., 1., 0.], [1., 0., 1.], [0., 1., 0.]])


def relax(f, known, sweeps):
    """Red-black SOR of Laplace's equation on pixels not wholly known (known < 1); the others stay fixed."""
    if sweeps == 0 or f.shape[-1] * f.shape[-2] == 1:  # a 1 px level has no neighbours to average
        return f
    free = known < 1
    if not bool(free.any()):
        return f
    b, c, h, w = f.shape
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    parity = ((xx + yy) % 2)[None, None]
    kernel = CROSS.to(f.dtype)[None, None].repeat(c, 1, 1, 1)
    count = F.conv2d(torch.ones(1, 1, h, w, dtype=f.dtype), CROSS.to(f.dtype)[None, None], padding=1)
    for _ in range(sweeps):
        for colour in (0, 1):
            neighbours = F.conv2d(f, kernel, padding=1, groups=c)
            update = f + OMEGA * (neighbours / count - f)
            f = torch.where(free & (parity == colour), update, f)
    return f


def pyramid_fill(image, mask):
    """image [B, C, H, W], mask [B, 1, H, W] (1 = hole) → image with the hole filled smoothly."""
    known = 1 - mask
    levels = [(image * known, known)]
    while bool((levels[-1][1] == 0).any()) and max(levels[-1][1].shape[-2:]) > 1:
        c, k = levels[-1]
        levels.append((F.avg_pool2d(c, 2, ceil_mode=True), F.avg_pool2d(k, 2, ceil_mode=True)))
    filled = None
    for li in range(len(levels) - 1, -1, -1):
        c, k = levels[li]
        own = torch.where(k > 0, c / k.clamp(min=1e-12), torch.zeros_like(c))
        if filled is None:
            filled = torch.where(k > 0, own, torch.full_like(own, 127.5))
        else:
            up = F.interpolate(filled, size=c.shape[-2:], mode='bilinear', align_corners=False)
            filled = torch.where(k == 1, c, c + (1 - k) * up)
        filled = relax(filled, k.expand_as(filled), RELAX_FINE if li == 0 else RELAX_COARSE)
    return image * known + filled * mask
