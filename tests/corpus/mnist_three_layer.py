# bptrace-corpus
# style: mnist
# loss: cross_entropy
# reduction: mean
# warnings: dead-relu
"""784-16-10-10 digit network from scratch: sigmoid, ReLU, softmax; hand-made one-hot labels; random stand-in images."""
import numpy as np

np.random.seed(7)
data = np.zeros((48, 785))
data[:, 0] = np.arange(48) % 10
data[:, 1:] = np.random.randint(0, 256, size=(48, 784))

m, n = data.shape
np.random.shuffle(data)
data_train = data[:40].T
Y_train = data_train[0].astype(int)
X_train = data_train[1:n] / 255.
data_dev = data[40:m].T
Y_dev = data_dev[0].astype(int)
X_dev = data_dev[1:n] / 255.
_, m_train = X_train.shape


def init_params():
    W1 = np.random.randn(16, 784) * np.sqrt(1. / 784)
    b1 = np.zeros((16, 1))
    W2 = np.random.randn(10, 16) * np.sqrt(1. / 16)
    b2 = np.zeros((10, 1))
    W3 = np.random.randn(10, 10) * np.sqrt(1. / 10)
    b3 = np.zeros((10, 1))
    return W1, b1, W2, b2, W3, b3


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def sigmoid_deriv(Z):
    return sigmoid(Z) * (1 - sigmoid(Z))


def ReLU(Z):
    return np.maximum(Z, 0)


def ReLU_deriv(Z):
    return Z > 0


def softmax(Z):
    A = np.exp(Z) / sum(np.exp(Z))
    return A


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    one_hot_Y = one_hot_Y.T
    return one_hot_Y


def forward_prop(W1, b1, W2, b2, W3, b3, X):
    Z1 = W1.dot(X) + b1
    A1 = sigmoid(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = ReLU(Z2)
    Z3 = W3.dot(A2) + b3
    A3 = softmax(Z3)
    return Z1, A1, Z2, A2, Z3, A3


def backward_prop(Z1, A1, Z2, A2, Z3, A3, W2, W3, X, Y):
    m = Y.size
    one_hot_Y = one_hot(Y)
    dZ3 = A3 - one_hot_Y
    dW3 = 1 / m * dZ3.dot(A2.T)
    db3 = 1 / m * np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = W3.T.dot(dZ3) * ReLU_deriv(Z2)
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T.dot(dZ2) * sigmoid_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return dW1, db1, dW2, db2, dW3, db3


def update_params(W1, b1, W2, b2, W3, b3, dW1, db1, dW2, db2, dW3, db3, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    W3 = W3 - alpha * dW3
    b3 = b3 - alpha * db3
    return W1, b1, W2, b2, W3, b3


def get_accuracy(A3, Y):
    return np.sum(np.argmax(A3, 0) == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations):
    W1, b1, W2, b2, W3, b3 = init_params()
    for i in range(iterations):
        Z1, A1, Z2, A2, Z3, A3 = forward_prop(W1, b1, W2, b2, W3, b3, X)
        dW1, db1, dW2, db2, dW3, db3 = backward_prop(Z1, A1, Z2, A2, Z3, A3, W2, W3, X, Y)
        W1, b1, W2, b2, W3, b3 = update_params(W1, b1, W2, b2, W3, b3, dW1, db1, dW2, db2, dW3, db3, alpha)
        if i % 5 == 0:
            print("Iteration:", i, "accuracy:", get_accuracy(A3, Y))
    return W1, b1, W2, b2, W3, b3


params = gradient_descent(X_train, Y_train, 0.5, 15)
