#!/usr/bin/python3
"""
Writes test/model/fixtures/torch-adam.json: a small autoencoder trained by PyTorch itself
(torch.nn.Linear layers, torch.nn.functional activations, the mean squared error and
torch.optim.Adam), so that netae's training step is checked against torch and not against a
copy of its rule.

Made with PyTorch 1.13 (Debian's python3-torch) on the CPU:

    /usr/bin/python3 scripts/torch-adam-fixture.py

The rows are taken in the order netae's trainer takes them for the same seed: the trainer
shuffles the rows once with a seeded mulberry32 generator (src/model/random.ts), then once
an epoch, and step s trains on rows s·batch … s·batch + batch − 1 of that epoch's order. Both
are written out here so that the fixture does not depend on this file's copy of the generator
being right: the test checks the copy against the trainer's order as well.

Everything runs twice, in float64 (the exact answer the float32 GPU result is compared with)
and in float32 (what a PyTorch user would get); the inputs are float32 values so that both
and netae start from the same numbers.
"""
import json
import sys

import torch

SEED = 7  # the trainer's seed: its shuffles
ROWS, EPOCHS, BATCH = 20, 2, 8  # 3 steps an epoch, the last of 4 rows
WIDTHS = [6, 4, 3, 4, 6]
ACTIVATIONS = ['tanh', 'relu', 'sigmoid', 'identity']
HYPER = {'lr': 0.01, 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8, 'weightDecay': 0.01}
OUT = 'test/model/fixtures/torch-adam.json'


def mulberry32(seed):
    """netae's seededRandom: uniform numbers in [0, 1) from a 32-bit state."""
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def draw():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return draw


def permutation(n, draw):
    """netae's seeded Fisher–Yates shuffle of 0 … n−1."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(draw() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def activate(z, name):
    if name == 'tanh':
        return torch.tanh(z)
    if name == 'relu':
        return torch.relu(z)
    if name == 'sigmoid':
        return torch.sigmoid(z)
    return z


def train(rows, initial, batches, dtype):
    """Adam on the mean squared error, one step a batch; the parameters and each epoch's loss."""
    layers = []
    at = 0
    for inputs, outputs in zip(WIDTHS, WIDTHS[1:]):
        layer = torch.nn.Linear(inputs, outputs).to(dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(initial[at:at + inputs * outputs], dtype=dtype).reshape(outputs, inputs))
            at += inputs * outputs
            layer.bias.copy_(torch.tensor(initial[at:at + outputs], dtype=dtype))
            at += outputs
        layers.append(layer)
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    adam = torch.optim.Adam(params, lr=HYPER['lr'], betas=(HYPER['beta1'], HYPER['beta2']),
                            eps=HYPER['eps'], weight_decay=HYPER['weightDecay'])
    x_all = torch.tensor(rows, dtype=dtype)
    losses = []
    for epoch in batches:
        total = 0.0
        for index in epoch:
            x = x_all[index]
            y = x
            for layer, name in zip(layers, ACTIVATIONS):
                y = activate(layer(y), name)
            loss = torch.nn.functional.mse_loss(y, x)
            adam.zero_grad()
            loss.backward()
            adam.step()
            total += loss.item() * len(index)
        losses.append(total / ROWS)
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    return [float(v) for v in flat.to(torch.float64)], losses


def main():
    torch.manual_seed(SEED)
    rows = torch.rand(ROWS, WIDTHS[0], dtype=torch.float32) * 2 - 1
    initial = []
    for inputs, outputs in zip(WIDTHS, WIDTHS[1:]):
        layer = torch.nn.Linear(inputs, outputs)
        initial += layer.weight.detach().reshape(-1).tolist() + layer.bias.detach().tolist()

    draw = mulberry32(SEED)
    first = permutation(ROWS, draw)
    orders = [permutation(ROWS, draw) for _ in range(EPOCHS)]
    batches = [[[first[i] for i in order[s:s + BATCH]] for s in range(0, ROWS, BATCH)] for order in orders]

    params64, losses64 = train(rows.tolist(), initial, batches, torch.float64)
    params32, losses32 = train(rows.tolist(), initial, batches, torch.float32)
    fixture = {
        'torch': torch.__version__,
        'seed': SEED, 'epochs': EPOCHS, 'batchSize': BATCH,
        'spec': {'widths': WIDTHS, 'activations': ACTIVATIONS},
        'hyper': HYPER,
        'rows': [float(v) for v in rows.reshape(-1).tolist()],
        'initial': [float(v) for v in initial],
        'trainOrder': first,
        'epochOrders': orders,
        'float64': {'params': params64, 'epochLosses': losses64},
        'float32': {'params': params32, 'epochLosses': losses32},
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f)
        f.write('\n')
    print(f'wrote {OUT} with torch {torch.__version__}', file=sys.stderr)


if __name__ == '__main__':
    main()
