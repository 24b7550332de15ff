# bptrace-corpus
# style: other
# loss: half_sse
# reduction: mean
# Data as plain Python lists (one column per sample); NumPy converts them on use.
import numpy as np

np.random.seed(2)

X = [[0, 0, 1, 1],
     [0, 1, 0, 1]]
Y = [[0, 1, 1, 0]]
m = len(X[0])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def dsigmoid(a):
    return a * (1 - a)


W1 = np.random.randn(4, 2)
b1 = np.zeros((4, 1))
W2 = np.random.randn(1, 4)
b2 = np.zeros((1, 1))
alpha = 2.0

for i in range(20):
    Z1 = np.dot(W1, X) + b1
    A1 = sigmoid(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)

    E = A2 - Y
    dZ2 = E * dsigmoid(A2)
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * dsigmoid(A1)
    dW1 = np.dot(dZ1, np.transpose(X)) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m

    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1

print(np.round(A2, 3))
