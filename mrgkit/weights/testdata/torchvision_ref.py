"""Builds a torchvision ResNet with random weights (weights=None, fixed seed;
nothing is downloaded), saves its state dict as .pth (torch.save, zip) and
.safetensors, a whole pickled model (a bad input), a 256x256 grey PNG and a
colour one, and torchvision's eval-mode pooled features of each (image.json,
image_rgb.json) after resize 256, centre crop 224 and ImageNet
normalisation.

usage: python3 torchvision_ref.py ARCH SEED OUTDIR
Run by weights' parity test; kept small (one thread, one image).
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

arch, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(1)
torch.manual_seed(seed)
model = getattr(torchvision.models, arch)(weights=None)
# Non-trivial batch-norm parameters and running statistics, so that the
# test sees each of them reach the right kit variable.
g = torch.Generator().manual_seed(seed + 1)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.weight.copy_(0.5 + torch.rand(c, generator=g))
            m.bias.copy_(0.2 * torch.randn(c, generator=g))
            m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
            m.running_var.copy_(0.5 + torch.rand(c, generator=g))
            m.num_batches_tracked.fill_(7)
model.eval()
sd = model.state_dict()
torch.save(sd, f"{out}/model.pth")
torch.save(model, f"{out}/whole.pth")

# .safetensors, written by hand (format: 8-byte little-endian header length,
# JSON header, little-endian data); the python safetensors package is not
# in Debian.
header, blobs, off = {}, [], 0
for name, t in sd.items():
    t = t.detach().contiguous()
    dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
    b = t.numpy().tobytes()
    header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
header["__metadata__"] = {"format": "pt"}
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(f"{out}/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)

# A grey 256x256 image with structure at several scales.
rng = np.random.default_rng(seed)
y, x = np.mgrid[0:256, 0:256]
img = 128 + 60 * np.sin(x / 9.0) * np.cos(y / 13.0) + 40 * rng.standard_normal((256, 256))
img = np.clip(img, 0, 255).astype(np.uint8)
Image.fromarray(img, mode="L").save(f"{out}/image.png")
# And a colour one, whose channels differ.
rgb = np.stack([img, np.roll(img, 17, axis=1), 255 - img], axis=-1)
Image.fromarray(rgb, mode="RGB").save(f"{out}/image_rgb.png")

tf = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


def features(path):
    x = tf(Image.open(path).convert("RGB")).unsqueeze(0)
    with torch.no_grad():
        m = model
        f = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        f = m.layer4(m.layer3(m.layer2(m.layer1(f))))
        pooled = torch.flatten(m.avgpool(f), 1)[0]
    return {"global": pooled.tolist(), "patches_shape": [1, f.shape[2] * f.shape[3], f.shape[1]]}


for name in ["image", "image_rgb"]:
    with open(f"{out}/{name}.json", "w") as fh:
        json.dump(features(f"{out}/{name}.png"), fh)
