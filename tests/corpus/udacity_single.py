# bptrace-corpus
# style: udacity
# loss: half_sse
# reduction: mean
# steps: 10
import numpy as np


def sigmoid(x):
    """Calculate sigmoid"""
    return 1 / (1 + np.exp(-x))


# admissions-like data: 40 records, 5 features (standardised scores, one-hot ranks), 0/1 admitted
np.random.seed(21)
n_records, n_features = 40, 5
scores = np.random.randn(n_records, 2)
rank = np.random.randint(0, 3, n_records)
features = np.hstack([scores, np.eye(3)[rank]])
targets = (scores[:, 0] + 0.5 * scores[:, 1] - 0.3 * rank + 0.2 * np.random.randn(n_records) > 0).astype(float)

# Initialize weights
weights = np.random.normal(scale=1 / n_features ** .5, size=n_features)

# Neural Network hyperparameters
epochs = 10
learnrate = 0.5

last_loss = None
for e in range(epochs):
    del_w = np.zeros(weights.shape)
    for x, y in zip(features, targets):
        # Loop through all records, x is the input, y is the target

        # Calculate the output
        h = np.dot(x, weights)
        output = sigmoid(h)

        # Calculate the error
        error = y - output

        # Calculate the error term
        error_term = error * output * (1 - output)

        # Calculate the change in weights for this sample and add it to the total weight change
        del_w += error_term * x

    # Update weights using the learning rate and the average change in weights
    weights += learnrate * del_w / n_records

    # Printing out the mean square error on the training set
    if e % 3 == 0:
        out = sigmoid(np.dot(features, weights))
        loss = np.mean((out - targets) ** 2)
        if last_loss and last_loss < loss:
            print("Train loss: ", loss, "  WARNING - Loss Increasing")
        else:
            print("Train loss: ", loss)
        last_loss = loss

predictions = sigmoid(np.dot(features, weights)) > 0.5
print("Prediction accuracy: {:.3f}".format(np.mean(predictions == targets)))
