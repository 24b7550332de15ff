# A class that updates itself inside backward, rows layout, integer inputs, no learning rate:
# the targets are a flat vector of shape (3,) while the output is (3, 1), so output - y
# silently becomes a 3x3 matrix.
import numpy as np


class NeuralNetwork:
    def __init__(self, input_size, hidden_size, output_size):
        self.weights1 = np.random.randn(input_size, hidden_size)
        self.bias1 = np.random.randn(hidden_size)
        self.weights2 = np.random.randn(hidden_size, output_size)
        self.bias2 = np.random.randn(output_size)

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(self, x):
        return x * (1 - x)

    def forward(self, X):
        self.z1 = np.dot(X, self.weights1) + self.bias1
        self.a1 = self.sigmoid(self.z1)
        self.z2 = np.dot(self.a1, self.weights2) + self.bias2
        self.a2 = self.sigmoid(self.z2)
        return self.a2

    def backward(self, X, y, output):
        self.error = output - y
        self.delta2 = self.error * self.sigmoid_derivative(output)
        self.delta1 = np.dot(self.delta2, self.weights2.T) * self.sigmoid_derivative(self.a1)
        self.weights2 -= np.dot(self.a1.T, self.delta2)
        self.bias2 -= np.sum(self.delta2, axis=0)
        self.weights1 -= np.dot(X.T, self.delta1)
        self.bias1 -= np.sum(self.delta1, axis=0)


X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 0]])
y = np.array([0, 1, 1])
nn = NeuralNetwork(3, 4, 1)
nn.backward(X, y, nn.forward(X))
