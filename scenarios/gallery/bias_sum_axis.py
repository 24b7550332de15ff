# Functions and globals, columns layout (samples are columns): the hidden bias gradient
# is summed over axis 0 (the units) instead of axis 1 (the samples); the update then
# broadcasts b1 from (4, 1) to (4, 3) without a word.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


W1 = np.random.randn(4, 2)
b1 = np.zeros((4, 1))
W2 = np.random.randn(1, 4)
b2 = np.zeros((1, 1))

X = np.array([[0.5, 0.1], [-0.3, 0.8], [0.7, 0.7]]).T
Y = np.array([[1.0, 0.0, 1.0]])

Z1 = np.dot(W1, X) + b1
A1 = relu(Z1)
Z2 = np.dot(W2, A1) + b2
A2 = sigmoid(Z2)

dZ2 = A2 - Y
dW2 = np.dot(dZ2, A1.T)
db2 = np.sum(dZ2, axis=1, keepdims=True)
dZ1 = np.dot(W2.T, dZ2) * (Z1 > 0)
dW1 = np.dot(dZ1, X.T)
db1 = np.sum(dZ1, axis=0, keepdims=True)

lr = 0.1
W1 = W1 - lr * dW1
b1 = b1 - lr * db1
W2 = W2 - lr * dW2
b2 = b2 - lr * db2
