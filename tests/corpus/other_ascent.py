# bptrace-corpus
# style: other
# loss: bce
# reduction: mean
# Gradient ASCENT on the log-likelihood (the negative of the bce loss).
import numpy as np

np.random.seed(3)

# two blobs, labels 0/1
m = 40
X = np.vstack([np.random.randn(m // 2, 2) + [1.5, 1.5], np.random.randn(m // 2, 2) - [1.5, 1.5]])
Y = np.vstack([np.ones((m // 2, 1)), np.zeros((m // 2, 1))])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def dtanh(z):
    return 1 - np.tanh(z) ** 2


W1 = np.random.randn(2, 4) * 0.5
b1 = np.zeros((1, 4))
W2 = np.random.randn(4, 1) * 0.5
b2 = np.zeros((1, 1))
lr = 0.5

for it in range(15):
    Z1 = X @ W1 + b1
    A1 = np.tanh(Z1)
    Z2 = A1 @ W2 + b2
    A2 = sigmoid(Z2)

    log_likelihood = np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))

    # gradients of the log-likelihood (uphill direction)
    dZ2 = Y - A2
    grad_W2 = A1.T @ dZ2 / m
    grad_b2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dZ1 = (dZ2 @ W2.T) * dtanh(Z1)
    grad_W1 = X.T @ dZ1 / m
    grad_b1 = np.sum(dZ1, axis=0, keepdims=True) / m

    # climb
    W2 += lr * grad_W2
    b2 += lr * grad_b2
    W1 += lr * grad_W1
    b1 += lr * grad_b1

    if it % 5 == 0:
        print(f"iter {it}: log-likelihood {log_likelihood:.4f}")
