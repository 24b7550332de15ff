# ruff: noqa: NPY002 - the legacy global RNG, as learners' scripts use it (bptrace seeds it)
"""A learner's MNIST-size classifier, written the way a course exercise asks for it.

Random stand-in data with a fixed seed (784 pixel inputs, 10 classes), one ReLU hidden
layer of 16 units, a softmax output with cross-entropy, full-batch gradient descent for 50 steps.
The sample count is ``BPTRACE_BENCH_SAMPLES`` (default 40000), so tests can run it small.
"""

import os

import numpy as np

np.random.seed(1)
samples = int(os.environ.get("BPTRACE_BENCH_SAMPLES", "40000"))

# "Load" the data: pixel values 0..255 and integer labels, one image per row.
images = np.random.randint(0, 256, size=(samples, 784), dtype=np.uint8)
labels = np.random.randint(0, 10, size=samples)
X = images / 255.0
Y = np.zeros((samples, 10))
Y[np.arange(samples), labels] = 1.0


def relu(z):
    return np.maximum(z, 0)


def softmax(z):
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


hidden = 16
W1 = np.random.randn(784, hidden) * np.sqrt(2.0 / 784)
b1 = np.zeros((1, hidden))
W2 = np.random.randn(hidden, 10) * np.sqrt(2.0 / hidden)
b2 = np.zeros((1, 10))
learning_rate = 0.5

for epoch in range(50):
    Z1 = X @ W1 + b1
    A1 = relu(Z1)
    Z2 = A1 @ W2 + b2
    A2 = softmax(Z2)
    loss = -np.mean(np.sum(Y * np.log(A2 + 1e-12), axis=1))

    dZ2 = (A2 - Y) / samples
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0, keepdims=True)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (Z1 > 0)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0, keepdims=True)

    W1 -= learning_rate * dW1
    b1 -= learning_rate * db1
    W2 -= learning_rate * dW2
    b2 -= learning_rate * db2
    if epoch % 10 == 0:
        accuracy = np.mean(A2.argmax(axis=1) == labels)
        print(f"epoch {epoch}: loss {loss:.4f}, accuracy {accuracy:.3f}")
