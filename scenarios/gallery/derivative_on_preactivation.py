# Functions and globals, columns layout: a sigmoid hidden layer.
# The helper takes the ACTIVATION (a * (1 - a)) but the backward pass hands it Z1.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(a):
    return a * (1 - a)


W1 = np.random.randn(3, 2)
b1 = np.zeros((3, 1))
W2 = np.random.randn(1, 3)
b2 = np.zeros((1, 1))

X = np.array([[0.6, -0.2], [0.1, 0.9]]).T
Y = np.array([[1.0, 0.0]])

Z1 = np.dot(W1, X) + b1
A1 = sigmoid(Z1)
Z2 = np.dot(W2, A1) + b2
A2 = sigmoid(Z2)

dZ2 = A2 - Y
dA1 = np.dot(W2.T, dZ2)
dZ1 = dA1 * sigmoid_derivative(Z1)
dW2 = np.dot(dZ2, A1.T)
db2 = np.sum(dZ2, axis=1, keepdims=True)
dW1 = np.dot(dZ1, X.T)
db1 = np.sum(dZ1, axis=1, keepdims=True)

learning_rate = 0.1
W1 -= learning_rate * dW1
b1 -= learning_rate * db1
W2 -= learning_rate * dW2
b2 -= learning_rate * db2
