# Functions and globals, columns layout: dW2 forgets to transpose A1, so np.dot of a
# (1, 2) and a (3, 2) array raises. The trace keeps everything up to that line.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def relu_derivative(z):
    return np.where(z > 0, 1, 0)


W1 = np.random.randn(3, 2)
b1 = np.zeros((3, 1))
W2 = np.random.randn(1, 3)
b2 = np.zeros((1, 1))


def forward_propagation(X):
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    return Z1, A1, Z2, A2


def backward_propagation(X, Y, Z1, A1, Z2, A2):
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * relu_derivative(Z1)
    dW2 = np.dot(dZ2, A1)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return dW1, db1, dW2, db2


X = np.array([[0.5, 0.1], [0.4, 0.6]]).T
Y = np.array([[0.7, 0.2]])
Z1, A1, Z2, A2 = forward_propagation(X)
dW1, db1, dW2, db2 = backward_propagation(X, Y, Z1, A1, Z2, A2)
