# bptrace-corpus
# style: rashid
# loss: half_sse
# reduction: sum
# steps: 16
import numpy
# scipy.special for the sigmoid function expit()
import scipy.special


# neural network class definition
class neuralNetwork:

    # initialise the neural network
    def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate):
        # number of nodes in each of the input, hidden and output layers
        self.inodes = inputnodes
        self.hnodes = hiddennodes
        self.onodes = outputnodes

        # link weight matrices, wih (input -> hidden) and who (hidden -> output)
        # weights inside the arrays are w_i_j, the link from node i to node j in the next layer
        self.wih = numpy.random.normal(0.0, pow(self.inodes, -0.5), (self.hnodes, self.inodes))
        self.who = numpy.random.normal(0.0, pow(self.hnodes, -0.5), (self.onodes, self.hnodes))

        # learning rate
        self.lr = learningrate

        # the activation function is the sigmoid
        self.activation_function = lambda x: scipy.special.expit(x)

    # train the neural network on one example
    def train(self, inputs_list, targets_list):
        # turn the lists into 2d column arrays
        inputs = numpy.array(inputs_list, ndmin=2).T
        targets = numpy.array(targets_list, ndmin=2).T

        # signals into and out of the hidden layer
        hidden_inputs = numpy.dot(self.wih, inputs)
        hidden_outputs = self.activation_function(hidden_inputs)

        # signals into and out of the final output layer
        final_inputs = numpy.dot(self.who, hidden_outputs)
        final_outputs = self.activation_function(final_inputs)

        # output layer error is (target - actual)
        output_errors = targets - final_outputs
        # hidden layer error is the output_errors, split by weights, recombined at hidden nodes
        hidden_errors = numpy.dot(self.who.T, output_errors * final_outputs * (1.0 - final_outputs))

        # update the weights for the links between the hidden and output layers
        self.who += self.lr * numpy.dot((output_errors * final_outputs * (1.0 - final_outputs)), numpy.transpose(hidden_outputs))

        # update the weights for the links between the input and hidden layers
        self.wih += self.lr * numpy.dot((hidden_errors * hidden_outputs * (1.0 - hidden_outputs)), numpy.transpose(inputs))

    # query the neural network
    def query(self, inputs_list):
        inputs = numpy.array(inputs_list, ndmin=2).T
        hidden_outputs = self.activation_function(numpy.dot(self.wih, inputs))
        final_outputs = self.activation_function(numpy.dot(self.who, hidden_outputs))
        return final_outputs


# number of input, hidden and output nodes
input_nodes = 4
hidden_nodes = 3
output_nodes = 3

# learning rate
learning_rate = 0.3

# create instance of neural network
n = neuralNetwork(input_nodes, hidden_nodes, output_nodes, learning_rate)

# a handful of records: "label,f1,f2,f3,f4" as text, the way a csv line arrives
records = ["0,0.9,0.1,0.1,0.2", "1,0.1,0.8,0.2,0.1", "2,0.2,0.1,0.9,0.8", "0,0.8,0.2,0.0,0.1",
           "1,0.0,0.9,0.1,0.2", "2,0.1,0.2,0.8,0.9", "0,0.7,0.1,0.2,0.1", "1,0.2,0.7,0.1,0.0"]

epochs = 2
for e in range(epochs):
    for record in records:
        all_values = record.split(',')
        inputs = [float(v) * 0.99 + 0.01 for v in all_values[1:]]
        # target values: all 0.01, except the wanted label which is 0.99
        targets = numpy.zeros(output_nodes) + 0.01
        targets[int(all_values[0])] = 0.99
        n.train(inputs, targets)

print(n.query([0.9, 0.1, 0.1, 0.2]).T)
