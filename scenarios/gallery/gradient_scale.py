# Functions and globals, columns layout, BCE averaged over 4 samples (reduction "mean"):
# the backward pass never divides by m, so every gradient is 4 times too large.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def tanh_derivative(a):
    return 1 - a ** 2


W1 = np.random.randn(3, 2) * 0.5
b1 = np.zeros((3, 1))
W2 = np.random.randn(1, 3) * 0.5
b2 = np.zeros((1, 1))

X = np.array([[0.5, 0.1], [0.3, 0.8], [-0.4, 0.2], [0.9, -0.7]]).T
Y = np.array([[1.0, 0.0, 0.0, 1.0]])


def forward(X):
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    return A1, A2


A1, A2 = forward(X)
dZ2 = A2 - Y
dW2 = np.dot(dZ2, A1.T)
db2 = np.sum(dZ2, axis=1, keepdims=True)
dZ1 = np.dot(W2.T, dZ2) * tanh_derivative(A1)
dW1 = np.dot(dZ1, X.T)
db1 = np.sum(dZ1, axis=1, keepdims=True)

learning_rate = 0.5
W2 -= learning_rate * dW2
b2 -= learning_rate * db2
W1 -= learning_rate * dW1
b1 -= learning_rate * db1
