# bptrace-corpus
# style: other
# loss: cross_entropy
# reduction: mean
# A data-preparation phase (normalise, one-hot by hand, shuffle by a loop) before a short training loop.
import numpy as np

np.random.seed(11)

# ---- raw data: 3 classes, 4 features on very different scales
n_classes = 3
raw_X = []
raw_y = []
for c in range(n_classes):
    for _ in range(15):
        raw_X.append([100 + 20 * c + 5 * np.random.randn(), 0.01 * c + 0.003 * np.random.randn(),
                      3 * np.random.randn(), c + np.random.randn()])
        raw_y.append(c)
raw_X = np.array(raw_X)
raw_y = np.array(raw_y)
N, D = raw_X.shape

# ---- normalise each feature
mean = raw_X.mean(axis=0)
std = raw_X.std(axis=0)
X_norm = (raw_X - mean) / std

# ---- one-hot encode the labels
Y_onehot = np.zeros((N, n_classes))
for i in range(N):
    Y_onehot[i, raw_y[i]] = 1.0

# ---- shuffle
perm = np.random.permutation(N)
X = np.zeros_like(X_norm)
Y = np.zeros_like(Y_onehot)
for i in range(N):
    X[i] = X_norm[perm[i]]
    Y[i] = Y_onehot[perm[i]]

# ---- model
H = 6
W1 = np.random.randn(D, H) * 0.4
b1 = np.zeros(H)
W2 = np.random.randn(H, n_classes) * 0.4
b2 = np.zeros(n_classes)
lr = 0.5


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_derivative(s):
    return s * (1.0 - s)


for epoch in range(15):
    hidden = sigmoid(X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)

    delta_out = (probs - Y) / N
    dW2 = hidden.T.dot(delta_out)
    db2 = delta_out.sum(axis=0)
    delta_hidden = delta_out.dot(W2.T) * sigmoid_derivative(hidden)
    dW1 = X.T.dot(delta_hidden)
    db1 = delta_hidden.sum(axis=0)

    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2

print("accuracy:", np.mean(np.argmax(probs, axis=1) == np.argmax(Y, axis=1)))
