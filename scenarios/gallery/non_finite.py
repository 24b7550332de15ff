# Functions and globals, columns layout, BCE written out by hand: large inputs push the
# sigmoid output to exactly 1.0 in float64, and log(1 - A2) = log(0) = -inf.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


W1 = np.abs(np.random.randn(2, 2)) + 1.0
b1 = np.zeros((2, 1))
W2 = np.ones((1, 2)) * 3.0
b2 = np.zeros((1, 1))

X = np.array([[9.0, 8.0], [7.0, 9.5]]).T
Y = np.array([[1.0, 0.0]])

Z1 = np.dot(W1, X) + b1
A1 = np.maximum(0, Z1)
Z2 = np.dot(W2, A1) + b2
A2 = sigmoid(Z2)
cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
print("cost:", cost)

m = X.shape[1]
dZ2 = (A2 - Y) / m
dW2 = np.dot(dZ2, A1.T)
db2 = np.sum(dZ2, axis=1, keepdims=True)
dZ1 = np.dot(W2.T, dZ2) * (Z1 > 0)
dW1 = np.dot(dZ1, X.T)
db1 = np.sum(dZ1, axis=1, keepdims=True)

learning_rate = 0.01
W1 -= learning_rate * dW1
b1 -= learning_rate * db1
W2 -= learning_rate * dW2
b2 -= learning_rate * db2
