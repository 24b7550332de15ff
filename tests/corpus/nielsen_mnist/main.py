# bptrace-corpus
# style: nielsen
# loss: half_sse
# reduction: mean
# steps: 6
# infer: yes
"""Train network.Network on a few MNIST-shaped fake digits (784 pixels, 10 classes)."""
import random

import numpy as np

import network


def vectorized_result(j):
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


def load_data_wrapper(n=30):
    """Fake 28x28 digits: each class lights up its own band of pixels, plus noise; pixels in [0, 1]."""
    rng = np.random.RandomState(11)
    images, digits = [], []
    for i in range(n):
        d = i % 10
        img = 0.1 * rng.rand(784)
        img[d * 70:(d + 1) * 70] += 0.8
        images.append(np.reshape(img, (784, 1)))
        digits.append(d)
    return [(x, vectorized_result(d)) for x, d in zip(images, digits)]


random.seed(5)
np.random.seed(5)
training_data = load_data_wrapper()
net = network.Network([784, 16, 10])
net.SGD(training_data, 2, 10, 3.0)
