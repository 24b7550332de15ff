# A class that updates itself inside backward, rows layout, integer inputs: the gradients
# are right, but the weights move by the whole gradient (no learning rate, step size 1).
import numpy as np


class TwoLayer:
    def __init__(self, n_in, n_hidden, n_out):
        self.Wa = np.random.randn(n_in, n_hidden)
        self.ba = np.random.randn(n_hidden)
        self.Wb = np.random.randn(n_hidden, n_out)
        self.bb = np.random.randn(n_out)

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(self, x):
        return x * (1 - x)

    def forward(self, X):
        self.ha = self.sigmoid(np.dot(X, self.Wa) + self.ba)
        self.hb = self.sigmoid(np.dot(self.ha, self.Wb) + self.bb)
        return self.hb

    def backward(self, X, y, out):
        self.gb = (out - y) * self.sigmoid_derivative(out)
        self.ga = np.dot(self.gb, self.Wb.T) * self.sigmoid_derivative(self.ha)
        self.Wb -= np.dot(self.ha.T, self.gb)
        self.bb -= np.sum(self.gb, axis=0)
        self.Wa -= np.dot(X.T, self.ga)
        self.ba -= np.sum(self.ga, axis=0)


if __name__ == "__main__":
    X = np.array([[1, 0], [0, 1], [1, 1]])
    y = np.array([[1], [1], [0]])
    model = TwoLayer(2, 3, 1)
    model.backward(X, y, model.forward(X))
