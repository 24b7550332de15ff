# bptrace-corpus
# style: pytorch-warmup
# loss: sse
# reduction: sum
# infer: yes
"""The warm-up's NumPy network split into a model module and this training script."""
import numpy as np

from model import backward, forward, init_weights, sgd

np.random.seed(3)

# N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension
N, D_in, H, D_out = 12, 5, 6, 2

# random input and output data
x = np.random.randn(N, D_in)
y = np.random.randn(N, D_out)

weights = init_weights(D_in, H, D_out)

learning_rate = 2e-3
for t in range(15):
    # forward pass: compute predicted y
    y_pred, cache = forward(x, weights)

    # compute and print the loss: a sum of squares
    loss = np.square(y_pred - y).sum()
    if t % 5 == 0:
        print(t, loss)

    # backprop, starting from the gradient of the loss with respect to y_pred
    grad_y_pred = 2.0 * (y_pred - y)
    grads = backward(x, weights, cache, grad_y_pred)

    # gradient descent on every weight matrix
    sgd(weights, grads, learning_rate)
