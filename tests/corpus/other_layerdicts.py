# bptrace-corpus
# style: other
# loss: half_sse
# reduction: mean
# Nielsen-like network whose parameters live in a list of layer dicts.
import numpy as np

np.random.seed(4)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


sizes = [3, 4, 4, 2]
layers = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    layers.append({"W": np.random.randn(n_out, n_in), "b": np.random.randn(n_out, 1)})

# training data: column vectors x (3,1) and y (2,1)
training_data = []
for _ in range(12):
    x = np.random.rand(3, 1)
    y = np.array([[float(x.sum() > 1.5)], [float(x[0, 0] > x[2, 0])]])
    training_data.append((x, y))


def backprop(x, y):
    # forward, remembering z and activation of each layer
    activation = x
    for layer in layers:
        layer["a_in"] = activation
        layer["z"] = np.dot(layer["W"], activation) + layer["b"]
        activation = sigmoid(layer["z"])
        layer["a"] = activation
    grads = [{"W": None, "b": None} for _ in layers]
    # output layer
    delta = (layers[-1]["a"] - y) * sigmoid_prime(layers[-1]["z"])
    grads[-1]["b"] = delta
    grads[-1]["W"] = np.dot(delta, layers[-1]["a_in"].T)
    # hidden layers, going back
    for l in range(len(layers) - 2, -1, -1):
        delta = np.dot(layers[l + 1]["W"].T, delta) * sigmoid_prime(layers[l]["z"])
        grads[l]["b"] = delta
        grads[l]["W"] = np.dot(delta, layers[l]["a_in"].T)
    return grads


def update_mini_batch(batch, eta):
    for layer in layers:
        layer["nabla_W"] = np.zeros(layer["W"].shape)
        layer["nabla_b"] = np.zeros(layer["b"].shape)
    for x, y in batch:
        grads = backprop(x, y)
        for layer, g in zip(layers, grads):
            layer["nabla_W"] += g["W"]
            layer["nabla_b"] += g["b"]
    for layer in layers:
        layer["W"] -= (eta / len(batch)) * layer["nabla_W"]
        layer["b"] -= (eta / len(batch)) * layer["nabla_b"]


eta, mini_batch_size = 3.0, 4
for epoch in range(3):
    np.random.shuffle(training_data)
    for k in range(0, len(training_data), mini_batch_size):
        update_mini_batch(training_data[k:k + mini_batch_size], eta)
    print("epoch", epoch, "done")
