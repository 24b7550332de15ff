# bptrace-corpus
# style: trask
# loss: half_sse
# reduction: sum
# steps: 12
# warnings: implicit-learning-rate
import numpy as np


# sigmoid, and its slope written in terms of the sigmoid's own output
def nonlin(x, deriv=False):
    if deriv == True:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


# four examples, three input columns (the last is always on); the answer is the first column
X = np.array([[0, 0, 1],
              [0, 1, 1],
              [1, 0, 1],
              [1, 1, 1]])
y = np.array([[0, 0, 1, 1]]).T

np.random.seed(1)
syn0 = 2 * np.random.random((3, 1)) - 1

for it in range(12):
    l0 = X
    l1 = nonlin(np.dot(l0, syn0))

    l1_error = y - l1
    l1_delta = l1_error * nonlin(l1, deriv=True)

    syn0 += l0.T.dot(l1_delta)

    if it % 4 == 0:
        print("mean abs error:", np.mean(np.abs(l1_error)))

print("after training:")
print(l1)
