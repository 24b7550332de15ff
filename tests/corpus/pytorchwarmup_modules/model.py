"""A three-layer ReLU network as plain functions over a list of weight matrices (no biases)."""
import numpy as np


def init_weights(D_in, H, D_out, scale=0.4):
    w1 = np.random.randn(D_in, H) * scale
    w2 = np.random.randn(H, H) * scale
    w3 = np.random.randn(H, D_out) * scale
    return [w1, w2, w3]


def forward(x, weights):
    w1, w2, w3 = weights
    h1 = x.dot(w1)
    h1_relu = np.maximum(h1, 0)
    h2 = h1_relu.dot(w2)
    h2_relu = np.maximum(h2, 0)
    y_pred = h2_relu.dot(w3)
    # keep what the backward pass needs
    cache = (h1, h1_relu, h2, h2_relu)
    return y_pred, cache


def backward(x, weights, cache, grad_y_pred):
    """Gradients of the loss with respect to w1, w2, w3, given its gradient with respect to y_pred."""
    w1, w2, w3 = weights
    h1, h1_relu, h2, h2_relu = cache
    grad_w3 = h2_relu.T.dot(grad_y_pred)
    grad_h2_relu = grad_y_pred.dot(w3.T)
    grad_h2 = grad_h2_relu.copy()
    grad_h2[h2 < 0] = 0
    grad_w2 = h1_relu.T.dot(grad_h2)
    grad_h1_relu = grad_h2.dot(w2.T)
    grad_h1 = grad_h1_relu.copy()
    grad_h1[h1 < 0] = 0
    grad_w1 = x.T.dot(grad_h1)
    return [grad_w1, grad_w2, grad_w3]


def sgd(weights, grads, learning_rate):
    for w, grad in zip(weights, grads):
        w -= learning_rate * grad
