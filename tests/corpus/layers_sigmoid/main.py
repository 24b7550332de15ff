# bptrace-corpus
# style: layers
# loss: mse
# reduction: mean
import numpy as np

from network import Network
from fc_layer import FCLayer
from activation_layer import ActivationLayer
from activations import sigmoid, sigmoid_prime
from losses import mse, mse_prime

# training data: XOR, shaped (samples, 1, features)
x_train = np.array([[[0, 0]], [[0, 1]], [[1, 0]], [[1, 1]]], dtype=float)
y_train = np.array([[[0]], [[1]], [[1]], [[0]]], dtype=float)

# network
net = Network()
net.add(FCLayer(2, 3))
net.add(ActivationLayer(sigmoid, sigmoid_prime))
net.add(FCLayer(3, 1))
net.add(ActivationLayer(sigmoid, sigmoid_prime))

# train
net.use(mse, mse_prime)
net.fit(x_train, y_train, epochs=5, learning_rate=0.5)

# test
out = net.predict(x_train)
print(out)
