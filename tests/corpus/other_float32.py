# bptrace-corpus
# style: other
# loss: cross_entropy
# reduction: mean
# infer: yes
# A tiny MLP kept in float32 throughout.
import numpy as np

rng = np.random.default_rng(7)

n_per, k = 10, 3
means = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
X = np.concatenate([rng.normal(mu, 0.6, size=(n_per, 2)) for mu in means]).astype(np.float32)
y = np.repeat(np.arange(k), n_per)
Y = np.eye(k)[y].astype(np.float32)
n = X.shape[0]

W1 = (rng.standard_normal((2, 5)) * 0.5).astype(np.float32)
b1 = np.zeros((1, 5), dtype=np.float32)
W2 = (rng.standard_normal((5, k)) * 0.5).astype(np.float32)
b2 = np.zeros((1, k), dtype=np.float32)
lr = np.float32(0.3)


def sigmoid(z):
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def sigmoid_grad(a):
    return a * (1 - a)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


for epoch in range(20):
    z1 = X @ W1 + b1
    a1 = sigmoid(z1)
    z2 = a1 @ W2 + b2
    p = softmax(z2)

    loss = -np.sum(Y * np.log(p)) / n

    dz2 = (p - Y) / n
    dW2 = a1.T @ dz2
    db2 = dz2.sum(axis=0, keepdims=True)
    da1 = dz2 @ W2.T
    dz1 = da1 * sigmoid_grad(a1)
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0, keepdims=True)

    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2

print("final loss", float(loss), "dtype", W1.dtype)
