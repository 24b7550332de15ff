# No loss declared anywhere: the scenario leaves it out and bptrace infers it from the loss this
# script computes (line 29: binary cross-entropy, averaged over the samples) and from its gradients.
# The backward pass hands the sigmoid-derivative helper Z1 where it expects the activation A1.
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(a):
    return a * (1 - a)


X = np.array([[0.2, 0.9, -0.4, 0.5, -0.8, 0.1], [0.7, -0.3, 0.6, -0.1, 0.4, -0.9]])
Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])
m = X.shape[1]
W1 = np.random.randn(4, 2) * 0.5
b1 = np.zeros((4, 1))
W2 = np.random.randn(1, 4) * 0.5
b2 = np.zeros((1, 1))
learning_rate = 0.5

for epoch in range(3):
    Z1 = W1 @ X + b1
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sigmoid(Z2)
    cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))

    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(Z1)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m

    W1 = W1 - learning_rate * dW1
    b1 = b1 - learning_rate * db1
    W2 = W2 - learning_rate * dW2
    b2 = b2 - learning_rate * db2
