# bptrace-corpus
# style: cs231n
# loss: cross_entropy
# reduction: mean
# infer: yes
"""A TwoLayerNet class in the shape of the CS231n assignment: params dict, loss(X, y) returning loss and grads."""
import numpy as np


class TwoLayerNet(object):
    """input - fully connected layer - ReLU - fully connected layer - softmax"""

    def __init__(self, input_size, hidden_size, output_size, std=1e-1):
        self.params = {}
        self.params['W1'] = std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N, D = X.shape

        # forward pass
        h1 = np.maximum(0, X.dot(W1) + b1)
        scores = h1.dot(W2) + b2
        if y is None:
            return scores

        shifted = scores - np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(shifted)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        correct_logprobs = -np.log(probs[np.arange(N), y])
        loss = np.sum(correct_logprobs) / N
        loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        # backward pass
        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads['W2'] = h1.T.dot(dscores) + 2 * reg * W2
        grads['b2'] = np.sum(dscores, axis=0)
        dh1 = dscores.dot(W2.T)
        dh1[h1 <= 0] = 0
        grads['W1'] = X.T.dot(dh1) + 2 * reg * W1
        grads['b1'] = np.sum(dh1, axis=0)
        return loss, grads

    def train(self, X, y, learning_rate=1e-3, reg=0.0, num_iters=100, verbose=False):
        loss_history = []
        for it in range(num_iters):
            loss, grads = self.loss(X, y=y, reg=reg)
            loss_history.append(loss)
            for param in self.params:
                self.params[param] += -learning_rate * grads[param]
            if verbose and it % 5 == 0:
                print('iteration %d / %d: loss %f' % (it, num_iters, loss))
        return {'loss_history': loss_history}

    def predict(self, X):
        return np.argmax(self.loss(X), axis=1)


# four gaussian blobs in 5 dimensions
np.random.seed(1)
num_classes = 4
centers = 2.0 * np.random.randn(num_classes, 5)
y_train = np.repeat(np.arange(num_classes), 25)
X_train = centers[y_train] + np.random.randn(100, 5)

net = TwoLayerNet(5, 4, num_classes)
stats = net.train(X_train, y_train, learning_rate=0.2, reg=0.0, num_iters=15, verbose=True)
print('train accuracy: ', (net.predict(X_train) == y_train).mean())
