# Functions and globals, columns layout: inputs around 10 and weights around 1 put the
# tanh hidden units deep in their flat tails, where tanh'(z) is almost 0.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


W1 = np.array([[1.0, 0.8], [-0.9, -1.1], [0.7, 1.2]])
b1 = np.zeros((3, 1))
W2 = np.random.randn(1, 3)
b2 = np.zeros((1, 1))

X = np.array([[10.0, 12.0], [11.0, 9.0], [12.0, 10.0]]).T
Y = np.array([[1.0, 0.0, 1.0]])

Z1 = np.dot(W1, X) + b1
A1 = np.tanh(Z1)
Z2 = np.dot(W2, A1) + b2
A2 = sigmoid(Z2)

dZ2 = A2 - Y
dW2 = np.dot(dZ2, A1.T)
db2 = np.sum(dZ2, axis=1, keepdims=True)
dZ1 = np.dot(W2.T, dZ2) * (1 - A1 ** 2)
dW1 = np.dot(dZ1, X.T)
db1 = np.sum(dZ1, axis=1, keepdims=True)

learning_rate = 0.1
W1 -= learning_rate * dW1
b1 -= learning_rate * db1
W2 -= learning_rate * dW2
b2 -= learning_rate * db2
