# A warm-up regression written the way the PyTorch tutorials' NumPy version goes: rows layout,
# ReLU hidden layer, linear output, loss = sum of squares WITHOUT ½, so its gradient carries the 2.
# Correct as written under loss "sse": bptrace finds nothing wrong. Declared "half_sse", every
# gradient would be exactly twice the true one.
import numpy as np

N, D_in, H, D_out = 8, 3, 5, 2
np.random.seed(5)
np.random.seed(5)
np.random.seed(5)
np.random.seed(5)
np.random.seed(5)
x = np.random.randn(N, D_in)
y = np.random.randn(N, D_out)
w1 = np.random.randn(D_in, H) * 0.5
w2 = np.random.randn(H, D_out) * 0.5

learning_rate = 1e-3
for t in range(5):
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    loss = np.square(y_pred - y).sum()

    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)

    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
