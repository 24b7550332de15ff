# bptrace-corpus
# style: other
# loss: bce
# reduction: mean
# Parameters updated in place with ufunc out= arguments.
import numpy as np

np.random.seed(5)

# points inside / outside a circle
m = 48
X = np.random.uniform(-1, 1, size=(m, 2))
Y = (np.sum(X ** 2, axis=1, keepdims=True) < 0.5).astype(float)

n_h = 6
W1 = np.random.randn(2, n_h) * 0.7
b1 = np.zeros((1, n_h))
W2 = np.random.randn(n_h, 1) * 0.7
b2 = np.zeros((1, 1))
lr = 0.8


def relu(z):
    return np.maximum(0, z)


def relu_deriv(z):
    return (z > 0).astype(float)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


for step in range(16):
    Z1 = X @ W1 + b1
    A1 = relu(Z1)
    Z2 = A1 @ W2 + b2
    A2 = sigmoid(Z2)

    dZ2 = A2 - Y
    dW2 = A1.T @ dZ2 / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dZ1 = dZ2 @ W2.T * relu_deriv(Z1)
    dW1 = X.T @ dZ1 / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m

    np.add(W1, -lr * dW1, out=W1)
    np.subtract(b1, lr * db1, out=b1)
    np.add(W2, -lr * dW2, out=W2)
    np.subtract(b2, lr * db2, out=b2)

A2 = sigmoid(relu(X @ W1 + b1) @ W2 + b2)
print("train accuracy", np.mean((A2 > 0.5) == Y))
