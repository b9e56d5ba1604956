"""Clean accuracy of the MNIST Pool port against alternative readings of the release.

Usage: BENCH_ASSETS=../shared python scripts/pool_port_variants.py
First 2000 MNIST test images; the port as built against VALID padding, symmetric padding,
flipped and transposed kernels, and a ReLU before the second pool. Quoted in docs/pgd-paper001.md.
"""

import torch
import torch.nn.functional as F

from bench.data import open_testset
from bench.zoo.catalog import Zoo
from bench.zoo.model import load_model

zoo = Zoo.load()
ts = open_testset("mnist")
x, y = ts.load(list(range(2000)))


def find(m):
    for mod in m.modules():
        if hasattr(mod, "pool2"):
            return mod


variants = {
    "relu before pool2": lambda n, z: n.pool2(F.relu(n.conv2(F.relu(n.pool1(n.conv1(z)))))),
    "valid convs": lambda n, z: F.max_pool2d(
        F.conv2d(
            F.relu(F.max_pool2d(F.conv2d(z, n.conv1.weight, n.conv1.bias), 2)),
            n.conv2.weight,
            n.conv2.bias,
        ),
        2,
    ),
    "valid conv1 only": lambda n, z: n.pool2(
        n.conv2(F.relu(F.max_pool2d(F.conv2d(z, n.conv1.weight, n.conv1.bias), 2)))
    ),
    "sym pad 2": lambda n, z: F.max_pool2d(
        F.conv2d(
            F.relu(F.max_pool2d(F.conv2d(z, n.conv1.weight, n.conv1.bias, padding=2), 2)),
            n.conv2.weight,
            n.conv2.bias,
            padding=2,
        ),
        2,
    ),
    "flipped kernels": lambda n, z: n.pool2(
        F.conv2d(
            F.pad(
                F.relu(
                    n.pool1(
                        F.conv2d(F.pad(z, (2, 2, 2, 2)), n.conv1.weight.flip(-1, -2), n.conv1.bias)
                    )
                ),
                (2, 2, 2, 2),
            ),
            n.conv2.weight.flip(-1, -2),
            n.conv2.bias,
        )
    ),
    "transposed kernels": lambda n, z: n.pool2(
        F.conv2d(
            F.pad(
                F.relu(
                    n.pool1(
                        F.conv2d(
                            F.pad(z, (2, 2, 2, 2)), n.conv1.weight.transpose(-1, -2), n.conv1.bias
                        )
                    )
                ),
                (2, 2, 2, 2),
            ),
            n.conv2.weight.transpose(-1, -2),
            n.conv2.bias,
        )
    ),
}
for mid, paper in [("mnist_pool_normal", 0.990), ("mnist_pool_int2", 0.955)]:
    m = load_model(zoo.get(mid), torch.device("cpu"))
    net = find(m)
    with torch.no_grad():
        print(mid, "port", round((m(x).argmax(1) == y).float().mean().item(), 3), "paper", paper)
        orig = net.features
        for name, f in variants.items():
            net.features = lambda z, n=net, f=f: f(n, z)
            print("   ", name, round((m(x).argmax(1) == y).float().mean().item(), 3))
        net.features = orig
