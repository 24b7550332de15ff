# bptrace-corpus
# style: cs231n
# loss: cross_entropy
# reduction: mean
# infer: yes
"""nnfs-style classifier: dense layers, ReLU, combined softmax + categorical cross-entropy, plain SGD."""
import numpy as np

from layers import Layer_Dense
from activations import Activation_ReLU, Activation_Softmax_Loss_CategoricalCrossentropy
from optimizers import Optimizer_SGD


def create_data(samples, classes):
    X = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype='uint8')
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        r = np.linspace(0.0, 1, samples)
        t = np.linspace(class_number * 4, (class_number + 1) * 4, samples) + np.random.randn(samples) * 0.2
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = class_number
    return X, y


np.random.seed(0)
X, y = create_data(samples=40, classes=3)

# Create Dense layer with 2 input features and 32 output values
dense1 = Layer_Dense(2, 32)
# Create ReLU activation (to be used with Dense layer)
activation1 = Activation_ReLU()
# Create second Dense layer with 32 input features and 3 output values
dense2 = Layer_Dense(32, 3)
# Create Softmax classifier's combined loss and activation
loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
# Create optimizer
optimizer = Optimizer_SGD(learning_rate=0.5)

# Train in loop
for epoch in range(12):
    # Perform a forward pass of our training data through this layer
    dense1.forward(X)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    # Perform a forward pass through the activation/loss function
    # takes the output of second dense layer here and returns loss
    loss = loss_activation.forward(dense2.output, y)

    # Calculate accuracy from output of activation2 and targets
    predictions = np.argmax(loss_activation.output, axis=1)
    accuracy = np.mean(predictions == y)
    if not epoch % 4:
        print(f'epoch: {epoch}, acc: {accuracy:.3f}, loss: {loss:.3f}')

    # Backward pass
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)

    # Update weights and biases
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
