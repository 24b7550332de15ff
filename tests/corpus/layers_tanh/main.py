# bptrace-corpus
# style: layers
# loss: mse
# reduction: mean
# infer: yes
import numpy as np

from network import Network
from fc_layer import FCLayer
from activation_layer import ActivationLayer
from activations import tanh, tanh_prime
from losses import mse, mse_prime

# three clusters, three features, targets +-1 per class (tanh output)
centers = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
x_train = np.array([[c + 0.1 * np.random.randn(3)] for c in centers for _ in range(2)])
y_train = np.array([[2 * np.eye(3)[k] - 1] for k in range(3) for _ in range(2)])

net = Network()
net.add(FCLayer(3, 3))
net.add(ActivationLayer(tanh, tanh_prime))
net.add(FCLayer(3, 3))
net.add(ActivationLayer(tanh, tanh_prime))

net.use(mse, mse_prime)
net.fit(x_train, y_train, epochs=3, learning_rate=0.1)

out = net.predict(x_train)
print(np.round(np.array(out)[:, 0], 2))
