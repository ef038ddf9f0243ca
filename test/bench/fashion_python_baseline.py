"""The Python side of test/bench/fashion_vs_python.sh: the same image network
as xb's default (five 3x3 convolution blocks 16-32-64-64-64 with batch norm,
ReLU and 2x2 pooling in the first two, attention pooling over the 7x7 map
with its blank cells left out (xb's attend_blank false), an
MLP head 128-32 with dropout 0.2), the same preprocessing (standardised with
the training pictures' mean and deviation), augmentation (flips, shifts of up
to 2 pixels; in half the pictures each cell of the 7x7 map outside the 10 most
attended blacked out with probability 1/4, the attention taken in eval mode),
optimiser (Adam, lr 1e-3, weight decay 1e-3, the learning rate following
half a cosine from 1e-3 to 0 over every step of EPOCHS, which all run),
mini-batches of 128, split (test_fraction, then 20 % of the rest for
validation), the best validation epoch restored, reading the same table through
psycopg2 and decoding the PNGs with PIL.

Usage: /usr/bin/python3 fashion_python_baseline.py EPOCHS TEST_FRACTION THREADS
Connects with libpq's environment. Prints 'key value' lines.
"""
import io
import math
import sys
import time

t_start = time.time()
import numpy as np
import psycopg2
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

epochs, test_fraction, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(42)
rng = np.random.default_rng(42)
t_imports = time.time()

conn = psycopg2.connect("")
cur = conn.cursor()
cur.execute("SELECT id, image, article, split FROM fashion ORDER BY id")
rows = cur.fetchall()
conn.close()
t_export = time.time()

pixels = np.stack([np.asarray(Image.open(io.BytesIO(bytes(r[1]))).convert("L")) for r in rows])[:, None]
classes = sorted({r[2] for r in rows})
labels = np.array([classes.index(r[2]) for r in rows])
is_train = np.array([r[3] == "train" for r in rows])
source = np.flatnonzero(is_train)
perm = rng.permutation(source)
n_test = int(round(len(perm) * test_fraction))
rest = perm[n_test:]
n_val = int(round(len(rest) * 0.2))
val_idx, train_idx = rest[:n_val], rest[n_val:]
official = np.flatnonzero(~is_train)
X = torch.tensor(pixels)
Y = torch.tensor(labels)
mean = (X[train_idx].float() / 255).mean().item()
std = (X[train_idx].float() / 255).std().item()
t_prep = time.time()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c = [], 1
        for i, w in enumerate([16, 32, 64, 64, 64]):
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            if i < 2:
                layers.append(nn.MaxPool2d(2))
            c = w
        self.blocks = nn.Sequential(*layers)
        self.score = nn.Conv2d(c, 1, 1)
        self.h1, self.h2, self.out = nn.Linear(c, 128), nn.Linear(128, 32), nn.Linear(32, len(classes))
        self.drop = nn.Dropout(0.2)

    def attention(self, pixels, m):
        # xb's attend_blank false: 4 x 4 cells whose pixels span at most 4
        # levels get no weight, unless the whole picture is blank
        cells = pixels.view(-1, 7, 4, 7, 4).transpose(2, 3).reshape(-1, 49, 16).short()
        blank = (cells.amax(2) - cells.amin(2)) <= 4
        blank &= ~blank.all(1, keepdim=True)
        return torch.softmax(self.score(m).flatten(1).masked_fill(blank, float("-inf")), 1)

    def forward(self, pixels):
        m = self.blocks(((pixels.float() / 255) - mean) / std)
        a = self.attention(pixels, m)
        e = (m.flatten(2) * a.unsqueeze(1)).sum(2)
        return self.out(torch.relu(self.h2(self.drop(torch.relu(self.h1(e))))))


def augment(x):
    flip = torch.rand(x.size(0)) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    dy, dx = torch.randint(-2, 3, (2,)).tolist()
    p = F.pad(x, (2, 2, 2, 2))
    return p[:, :, 2 + dy:2 + dy + 28, 2 + dx:2 + dx + 28]


def erase_unattended(net, x):
    chosen = torch.nonzero(torch.rand(x.size(0)) < 0.5).squeeze(1)
    if len(chosen) == 0:
        return x
    some = x[chosen]
    net.eval()
    with torch.no_grad():
        a = net.attention(some, net.blocks(((some.float() / 255) - mean) / std))
    net.train()
    attended = torch.zeros_like(a, dtype=torch.bool).scatter_(1, a.topk(10, 1).indices, True)
    erased = (torch.rand(a.shape) < 0.25) & ~attended
    per_pixel = erased.view(-1, 1, 7, 7).repeat_interleave(4, 2).repeat_interleave(4, 3)
    x = x.clone()
    x[chosen] = some.masked_fill(per_pixel, 0)
    return x


def predict(net, idx):
    net.eval()
    with torch.no_grad():
        return torch.cat([net(X[idx[i:i + 512]]) for i in range(0, len(idx), 512)])


net = Net()
opt = torch.optim.Adam(net.parameters(), 1e-3, weight_decay=1e-3)
best, best_state, epoch_times = float("inf"), None, []
epochs_run = 0
steps_per_epoch = (len(train_idx) + 127) // 128
step = 0
for epoch in range(epochs):
    t = time.time()
    net.train()
    order = torch.tensor(rng.permutation(train_idx))
    for i in range(0, len(order), 128):
        b = order[i:i + 128]
        for group in opt.param_groups:
            group["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * step / (steps_per_epoch * epochs)))
        step += 1
        # xb's erase_from: erasing starts after the first third of the steps
        x = augment(X[b])
        if step - 1 >= round(steps_per_epoch * epochs / 3):
            x = erase_unattended(net, x)
        loss = F.cross_entropy(net(x), Y[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    val_loss = F.cross_entropy(predict(net, val_idx), Y[val_idx]).item()
    epoch_times.append(time.time() - t)
    if val_loss < best:
        best = val_loss
        best_state = {k: v.clone() for k, v in net.state_dict().items()}
net.load_state_dict(best_state)
t_train = time.time()
accuracy = (predict(net, official).argmax(1) == Y[official]).float().mean().item()
t_end = time.time()
print(f"epochs {len(epoch_times)}")
print(f"seconds_per_epoch {np.mean(epoch_times):.2f}")
print(f"accuracy {accuracy:.4f}")
print(f"imports {t_imports - t_start:.2f}")
print(f"export {t_export - t_imports:.2f}")
print(f"decode_and_split {t_prep - t_export:.2f}")
print(f"train {t_train - t_prep:.2f}")
print(f"total {t_end - t_start:.2f}")
