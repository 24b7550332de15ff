# bptrace-corpus
# style: nielsen
# loss: half_sse
# reduction: mean
# steps: 8
"""A small network in the NNDL shape: lists of weight and bias arrays, mini-batch SGD, per-example backprop."""
import random

import numpy as np


class Network(object):

    def __init__(self, sizes):
        """``sizes`` lists the neurons per layer, input layer first. Weight matrix l maps layer l to
        layer l+1, so it is (neurons out) x (neurons in); each bias is a column."""
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            mini_batches = [training_data[k:k + mini_batch_size] for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)
            if test_data:
                print("Epoch {0}: {1} / {2}".format(j, self.evaluate(test_data), len(test_data)))
            else:
                print("Epoch {0} done".format(j))

    def update_mini_batch(self, mini_batch, eta):
        """One gradient step, from the gradients of every example in the batch added together."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        """(nabla_b, nabla_w): the gradient of this example's cost, layer by layer."""
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        # forward, keeping every weighted input and every activation
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activations[-1]) + b
            zs.append(z)
            activations.append(sigmoid(z))
        # output layer
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].T)
        # and back through the hidden layers, counting from the end
        for l in range(2, self.num_layers):
            sp = sigmoid_prime(zs[-l])
            delta = np.dot(self.weights[-l + 1].T, delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].T)
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(guess == label) for (guess, label) in results)

    def cost_derivative(self, output_activations, y):
        """d C_x / d a for the quadratic cost C_x = 1/2 ||a - y||^2."""
        return output_activations - y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def vectorized_result(j):
    e = np.zeros((3, 1))
    e[j] = 1.0
    return e


# three blobs in four dimensions, as column vectors with one-hot targets
random.seed(3)
np.random.seed(3)
centres = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
labels = [i % 3 for i in range(24)]
points = [centres[k] + 0.2 * np.random.randn(4) for k in labels]
training_data = [(np.reshape(p, (4, 1)), vectorized_result(k)) for p, k in zip(points, labels)]
test_data = [(np.reshape(p, (4, 1)), k) for p, k in zip(points[:9], labels[:9])]

net = Network([4, 3, 3])
net.SGD(training_data, 2, 6, 3.0, test_data=test_data)
