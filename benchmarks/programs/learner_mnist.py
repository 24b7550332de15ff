"""A learner's MNIST from scratch: 784 inputs, 64 hidden ReLU units, softmax over 10 digits.

Stand-in data: random "images" (BPTRACE_BENCH_SAMPLES of them, 40,000 by default) as
pixel values 0..255 in columns (one sample per column). Each of the 50 training steps takes
the next mini-batch of 1,000 columns, scales it to 0..1 and descends on the mean cross-entropy.

(Temporary copy for benchmarks/learner_mnist_bench.py; the code-mode work brings its own.)
"""
import os

import numpy as np

samples = int(os.environ.get("BPTRACE_BENCH_SAMPLES", "40000"))
np.random.seed(1)
pixels = np.random.randint(0, 256, size=(784, samples), dtype=np.uint8)
digits = np.random.randint(0, 10, size=samples)
batch = min(1000, samples)

W1 = np.random.randn(64, 784) * 0.01
b1 = np.zeros((64, 1))
W2 = np.random.randn(10, 64) * 0.1
b2 = np.zeros((10, 1))
alpha = 0.5


def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


for step in range(50):
    start = step * batch % samples
    X = pixels[:, start:start + batch] / 255.0
    Y = np.zeros((10, X.shape[1]))
    Y[digits[start:start + batch], np.arange(X.shape[1])] = 1.0
    m = X.shape[1]

    Z1 = W1.dot(X) + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    loss = -np.sum(Y * np.log(A2)) / m

    dZ2 = (A2 - Y) / m
    dW2 = dZ2.dot(A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
    dW1 = dZ1.dot(X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)

    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    if step % 10 == 0:
        print(f"step {step}: loss {loss:.4f}")
