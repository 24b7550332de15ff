"""The learner's notebook cells the Jupyter tests run (written for these tests).

The data comes from one cell, the network from a ``%%bptrace`` cell: a two-layer sigmoid network
trained on half the summed squared error, with the hidden layer's derivative taken of the
pre-activation Z1 instead of the activation A1 (the helper expects an activation).
"""

from __future__ import annotations

DATA = """\
import numpy as np
rng = np.random.default_rng(3)
X = rng.normal(size=(8, 2))
Y = (X[:, :1] * X[:, 1:] > 0).astype(float)
"""

# Line numbers as the notebook shows them: the %%bptrace line is line 1, so the guilty line is 21.
TRAIN = """\
%%bptrace
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def sigmoid_derivative(a):
    return a * (1 - a)

class Layer:
    def __init__(self, n_in, n_out):
        self.W = rng.normal(size=(n_in, n_out)) * 0.5

    def forward(self, x):
        return sigmoid(x @ self.W)

hidden, output = Layer(2, 4), Layer(4, 1)
W1, W2 = hidden.W, output.W
lr = 0.5
for epoch in range(8):
    Z1 = X @ W1
    A1 = sigmoid(Z1)
    Z2 = A1 @ W2
    A2 = sigmoid(Z2)
    loss = 0.5 * np.sum((A2 - Y) ** 2)
    dZ2 = (A2 - Y) * sigmoid_derivative(A2)
    dW2 = A1.T @ dZ2
    dZ1 = (dZ2 @ W2.T) * sigmoid_derivative(Z1)
    dW1 = X.T @ dZ1
    W2 -= lr * dW2
    W1 -= lr * dW1
helpers = [lambda v: v * 2, sigmoid]
"""
BUGGY_LINE = 26
FIXED = TRAIN.replace("sigmoid_derivative(Z1)", "sigmoid_derivative(A1)")
assert FIXED != TRAIN

# Raises in the middle: what is assigned before the raise stays, as running the cell leaves it.
RAISES = """\
%%bptrace
before = "assigned"
V = np.ones((2, 2))
for step in range(3):
    V -= 0.1 * V
ratio = 1 / 0
after = "never"
"""
RAISING_LINE = 6

# Helpers in a cell of their own, run plainly; the training loop in a %%bptrace cell after it. The import
# in the same cell matters: IPython compiles a cell statement by statement, so `np.exp` compiles as it
# does under no import (a file compiled whole compiles it otherwise), and the helper must still be found.
HELPERS = """\
import numpy as np

def act(z):
    return 1 / (1 + np.exp(-z))

def act_prime(a):
    return a * (1 - a)
"""

USES_HELPERS = """\
%%bptrace
rng2 = np.random.default_rng(5)
V1 = rng2.normal(size=(2, 4)) * 0.5
V2 = rng2.normal(size=(4, 1)) * 0.5
for epoch in range(6):
    H = act(X @ V1)
    Z = X @ V1
    out = act(H @ V2)
    loss2 = 0.5 * np.sum((out - Y) ** 2)
    d_out = (out - Y) * act_prime(out)
    dV2 = H.T @ d_out
    dH = (d_out @ V2.T) * act_prime(Z)
    V2 -= 0.5 * dV2
    V1 -= 0.5 * (X.T @ dH)
"""
USES_HELPERS_LINE = 12

# IPython's own syntax inside a traced cell runs as IPython runs it: %time assigns in the cell's namespace,
# !echo expands {name} from it.
MAGICS_INSIDE = """\
%%bptrace
shout = "from-the-shell"
%time z = 3
!echo {shout}
W = np.zeros((2, 1))
for i in range(4):
    A = X @ W
    dW = X.T @ (A - Y)
    W -= 0.05 * dW
print("Z", z)
"""
