"""The LeNet-sized network of the benchmark, written once for mxlearn and once for PyTorch.

Convolution(1→6, 5×5) → ReLU → max-pool 2 → Convolution(6→16, 5×5) → ReLU →
max-pool 2 → FullyConnected(120) → ReLU → FullyConnected(84) → ReLU →
FullyConnected(10) → softmax cross-entropy (summed over the batch), on
1×28×28 inputs. Both frameworks get the same initial weights and data.
"""
import numpy as np

SHAPES = {
    'c1_weight': (6, 1, 5, 5), 'c1_bias': (6,),
    'c2_weight': (16, 6, 5, 5), 'c2_bias': (16,),
    'f1_weight': (120, 256), 'f1_bias': (120,),
    'f2_weight': (84, 120), 'f2_bias': (84,),
    'f3_weight': (10, 84), 'f3_bias': (10,),
}


def make_weights(seed=0):
    """Weights with a fan-in scaled uniform init, as float32 numpy arrays."""
    rng = np.random.RandomState(seed)
    weights = {}
    for name, shape in SHAPES.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        bound = 1.0 / np.sqrt(fan_in)
        weights[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return weights


def make_batch(batch, seed=1):
    """A random MNIST-shaped batch: images (batch, 1, 28, 28) and labels 0..9."""
    rng = np.random.RandomState(seed)
    x = rng.rand(batch, 1, 28, 28).astype(np.float32)
    y = rng.randint(0, 10, batch).astype(np.float32)
    return x, y


def mx_forward(nd, p, x, y):
    """The network's loss in mxlearn (any mx.nd-compatible namespace ``nd``)."""
    h = nd.relu(nd.Convolution(x, p['c1_weight'], p['c1_bias'], kernel=(5, 5), num_filter=6))
    h = nd.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='max')
    h = nd.relu(nd.Convolution(h, p['c2_weight'], p['c2_bias'], kernel=(5, 5), num_filter=16))
    h = nd.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='max')
    h = nd.relu(nd.FullyConnected(h, p['f1_weight'], p['f1_bias'], num_hidden=120))
    h = nd.relu(nd.FullyConnected(h, p['f2_weight'], p['f2_bias'], num_hidden=84))
    h = nd.FullyConnected(h, p['f3_weight'], p['f3_bias'], num_hidden=10)
    return nd.softmax_cross_entropy(h, y)


def torch_forward(torch, p, x, y):
    """The same network in PyTorch; ``y`` holds int64 labels."""
    F = torch.nn.functional
    h = F.max_pool2d(F.relu(F.conv2d(x, p['c1_weight'], p['c1_bias'])), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p['c2_weight'], p['c2_bias'])), 2)
    h = h.flatten(1)
    h = F.relu(F.linear(h, p['f1_weight'], p['f1_bias']))
    h = F.relu(F.linear(h, p['f2_weight'], p['f2_bias']))
    h = F.linear(h, p['f3_weight'], p['f3_bias'])
    return F.cross_entropy(h, y, reduction='sum')
