# bptrace-corpus
# style: udacity
# loss: half_sse
# reduction: mean
# steps: 8
import numpy as np


def sigmoid(x):
    """Calculate sigmoid"""
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    """Derivative of the sigmoid, at the input x"""
    return sigmoid(x) * (1 - sigmoid(x))


np.random.seed(42)

# 30 records, 4 features; target 1 when the first two features outweigh the last two
features = np.random.rand(30, 4)
targets = (features[:, 0] + features[:, 1] > features[:, 2] + features[:, 3]).astype(float)
n_records, n_features = features.shape

# Hyperparameters
n_hidden = 4  # number of hidden units
epochs = 8
learnrate = 0.8

# Initialize weights
weights_input_hidden = np.random.normal(scale=1 / n_features ** .5, size=(n_features, n_hidden))
weights_hidden_output = np.random.normal(scale=1 / n_features ** .5, size=n_hidden)

for e in range(epochs):
    del_w_input_hidden = np.zeros(weights_input_hidden.shape)
    del_w_hidden_output = np.zeros(weights_hidden_output.shape)
    for x, y in zip(features, targets):
        ## Forward pass ##
        hidden_input = np.dot(x, weights_input_hidden)
        hidden_output = sigmoid(hidden_input)
        output = sigmoid(np.dot(hidden_output, weights_hidden_output))

        ## Backward pass ##
        # the network's prediction error
        error = y - output

        # error term for the output unit
        output_error_term = error * output * (1 - output)

        # propagate errors to the hidden layer
        hidden_error = np.dot(output_error_term, weights_hidden_output)

        # error term for the hidden layer
        hidden_error_term = hidden_error * sigmoid_prime(hidden_input)

        # update the change in weights
        del_w_hidden_output += output_error_term * hidden_output
        del_w_input_hidden += hidden_error_term * x[:, None]

    # update the weights, once per epoch
    weights_input_hidden += learnrate * del_w_input_hidden / n_records
    weights_hidden_output += learnrate * del_w_hidden_output / n_records

    if e % 2 == 0:
        hidden_output = sigmoid(np.dot(features, weights_input_hidden))
        out = sigmoid(np.dot(hidden_output, weights_hidden_output))
        loss = np.mean((out - targets) ** 2)
        print("Train loss: ", loss)

hidden = sigmoid(np.dot(features, weights_input_hidden))
out = sigmoid(np.dot(hidden, weights_hidden_output))
print("Prediction accuracy: {:.3f}".format(np.mean((out > 0.5) == targets)))
