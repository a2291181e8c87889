"""Push-pull pyramid fill, the PyTorch twin of engine/edit/pyramid-fill.ts (the classical fill the shipped
inpainter refines). Works on batches in any value range; known pixels are kept exactly."""
import torch
import torch.nn.functional as F


def pyramid_fill(image, mask):
    """image [B, C, H, W], mask [B, 1, H, W] (1 = hole) → image with the hole filled smoothly."""
    known = 1 - mask
    levels = [(image * known, known)]
    while bool((levels[-1][1] == 0).any()) and max(levels[-1][1].shape[-2:]) > 1:
        c, k = levels[-1]
        levels.append((F.avg_pool2d(c, 2, ceil_mode=True), F.avg_pool2d(k, 2, ceil_mode=True)))
    filled = None
    for c, k in reversed(levels):
        own = torch.where(k > 0, c / k.clamp(min=1e-12), torch.zeros_like(c))
        if filled is None:
            filled = torch.where(k > 0, own, torch.zeros_like(own))
        else:
            up = F.interpolate(filled, size=c.shape[-2:], mode='bilinear', align_corners=False)
            filled = k * own + (1 - k) * up
    return image * known + filled * mask
