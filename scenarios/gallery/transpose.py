# A class that updates itself inside backward, rows layout (samples are rows), integer inputs,
# no learning rate. Three inputs, three hidden units: W_in is square, so a transposed
# gradient fits its shape and numpy says nothing.
import numpy as np


class Net:
    def __init__(self):
        self.W_in = np.random.randn(3, 3)
        self.b_in = np.zeros(3)
        self.W_out = np.random.randn(3, 1)
        self.b_out = np.zeros(1)

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(self, x):
        return x * (1 - x)

    def forward(self, X):
        self.h = self.sigmoid(np.dot(X, self.W_in) + self.b_in)
        self.o = self.sigmoid(np.dot(self.h, self.W_out) + self.b_out)
        return self.o

    def backward(self, X, y, o):
        self.delta_o = (o - y) * self.sigmoid_derivative(o)
        self.delta_h = np.dot(self.delta_o, self.W_out.T) * self.sigmoid_derivative(self.h)
        self.W_out -= np.dot(self.h.T, self.delta_o)
        self.b_out -= np.sum(self.delta_o, axis=0)
        self.W_in -= np.dot(self.delta_h.T, X)
        self.b_in -= np.sum(self.delta_h, axis=0)


X = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 1], [0, 0, 1]])
y = np.array([[0], [1], [1], [0]])
net = Net()
net.backward(X, y, net.forward(X))
