# bptrace-corpus
# style: pytorch-warmup
# loss: sse
# reduction: sum
# infer: yes
import numpy as np

np.random.seed(1)

# batch size, input size, hidden size, output size
N, D_in, H, D_out = 16, 4, 10, 2

x = np.random.randn(N, D_in)
y = np.random.randn(N, D_out)

w1 = np.random.randn(D_in, H) / np.sqrt(D_in)
b1 = np.zeros(H)
w2 = np.random.randn(H, D_out) / np.sqrt(H)
b2 = np.zeros(D_out)

learning_rate = 5e-3
for t in range(12):
    # forward
    h = x.dot(w1) + b1
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2) + b2

    loss = np.square(y_pred - y).sum()
    if t % 3 == 0:
        print(t, loss)

    # backward
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_b2 = grad_y_pred.sum(axis=0)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    grad_b1 = grad_h.sum(axis=0)

    # update
    w1 -= learning_rate * grad_w1
    b1 -= learning_rate * grad_b1
    w2 -= learning_rate * grad_w2
    b2 -= learning_rate * grad_b2
