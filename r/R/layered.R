# The Layer-class network: layers as objects, tanh or sigmoid, log-loss.
#
# This is the network of "Writing Python Code for Neural Networks from
# Scratch" (a blog post of 24 April 2020). Its twin is python/twinnet/layered.py: the same
# functions in the same order, with the steps numbered identically.
#
# Inside, samples are columns, as in the article (the fixture stores X as
# n x d rows and y as n x 1):
#   x  d x m     y  1 x m     W  neurons x inputs     b  neurons x 1
#
# A layer's gradients are averaged over the m samples, and each layer updates
# its own W and b as the backward pass reaches it. The initial weights come
# from the fixture: the generator draws RandomState(seed).randn(neurons,
# inputs) layer by layer, and the biases start at zero.

#' Clipping bound of the log-loss
#'
#' Outputs are clipped to \[eps, 1 - eps\] inside [logloss()] and
#' [d_logloss()], so an output of exactly 0 or 1 gives a large finite loss
#' instead of `Inf` or `NaN`.
#'
#' @keywords internal
log_loss_epsilon <- 1e-15

# Step 0: the network: its activation functions, the loss and its derivative
# (tanh itself is base R's, as the Python twin uses numpy's)

#' Slope of tanh
#'
#' \eqn{\tanh'(x) = 1 - \tanh^2(x)}, of the pre-activation `x`.
#' @param x A numeric matrix.
#' @export
d_tanh <- function(x) {
  1 - tanh(x)^2
}

#' Slope of the sigmoid, from the pre-activation
#'
#' \eqn{\sigma'(x) = (1 - \sigma(x)) \sigma(x)}.
#' @param x A numeric matrix.
#' @export
d_sigmoid <- function(x) {
  (1 - sigmoid(x)) * sigmoid(x)
}

#' Log-loss and its derivative
#'
#' `logloss()` is \eqn{-(y \log a + (1 - y) \log(1 - a))} elementwise;
#' `d_logloss()` is its derivative in `a`, \eqn{(a - y) / (a (1 - a))}. Both
#' clip `a` to \[[log_loss_epsilon], 1 - [log_loss_epsilon]\].
#' @param y Targets.
#' @param a Predicted probabilities, the same shape as `y`.
#' @export
logloss <- function(y, a) {
  a <- pmin(pmax(a, log_loss_epsilon), 1 - log_loss_epsilon)
  -(y * log(a) + (1 - y) * log(1 - a))
}

#' @rdname logloss
#' @export
d_logloss <- function(y, a) {
  a <- pmin(pmax(a, log_loss_epsilon), 1 - log_loss_epsilon)
  (a - y) / (a * (1 - a))
}

activation_functions <- list(
  tanh = list(act = tanh, d_act = d_tanh),
  sigmoid = list(act = sigmoid, d_act = d_sigmoid)
)

#' Train the Layer-class network
#'
#' @param X Input matrix as stored in the fixture, n x d (transposed inside).
#' @param y Target matrix, n x 1.
#' @param params Named list `W1`, `b1`, `W2`, `b2`, ... in layer order.
#' @param activations One of `"tanh"` or `"sigmoid"` per layer.
#' @param epochs Number of epochs, a whole number >= 0.
#' @param lr Learning rate.
#' @return A list with `params`, `loss` (the mean log-loss of each epoch's
#'   forward pass, before its update) and `output` (n x 1).
#' @export
#' @examples
#' fixture <- read_fixture(twinnet_example("layered-xor"))
#' fit <- train_layered(fixture$data$X, fixture$data$y, fixture$init,
#'                      unlist(fixture$hyper$activations), epochs = 500, lr = fixture$hyper$lr)
#' round(fit$output, 2)
train_layered <- function(X, y, params, activations, epochs, lr) {
  # Step 0: the network, a list of layers, and the data with samples as columns
  x <- t(X)
  y <- t(y)
  m <- ncol(x)
  lyr <- lapply(seq_along(activations), function(i) {
    Layer$new(W = params[[paste0("W", i)]], b = params[[paste0("b", i)]],
              activation = activations[[i]], learning_rate = lr)
  })
  costs <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    # Step 1: feed forward through every layer
    A <- feedforward_all(lyr, x)
    # Step 2: cost, the mean log-loss over the m samples
    costs[epoch] <- 1 / m * sum(logloss(y, A))
    # Step 3: backpropagation, from the last layer to the first
    dA <- d_logloss(y, A)
    for (layer in rev(lyr)) dA <- layer$backprop(dA)
  }
  # Step 4: predictions of the trained network
  output <- t(feedforward_all(lyr, x))
  trained <- list()
  for (i in seq_along(lyr)) {
    trained[[paste0("W", i)]] <- lyr[[i]]$W
    trained[[paste0("b", i)]] <- lyr[[i]]$b
  }
  list(params = trained, loss = costs, output = output)
}

#' Feed forward through a list of layers
#'
#' @param lyr A list of [Layer] objects, in order.
#' @param A The input, features x samples.
#' @return The last layer's output.
#' @export
feedforward_all <- function(lyr, A) {
  for (layer in lyr) A <- layer$feedforward(A)
  A
}

#' One layer of the Layer-class network
#'
#' A Reference Class, R's mutable object with methods: like the article's
#' Python class, a layer keeps its input, `Z` and `A` from the forward pass for
#' its backward pass and updates its own `W` and `b` in place there. (A closure
#' over an environment would work too; a Reference Class names the fields and
#' methods as the article does, so the twins read alike.)
#'
#' @field W Weights, neurons x inputs.
#' @field b Biases, neurons x 1.
#' @field act,d_act The activation and its derivative (of the pre-activation).
#' @field learning_rate The step size of the update.
#' @field A1,Z,A The input, pre-activation and activation of the last forward pass.
#' @field dW,db The gradients of the last backward pass.
#' @export Layer
#' @exportClass Layer
Layer <- methods::setRefClass("Layer",
  # named and not typed: R checks a typed field's class (W = "matrix", ...) at
  # every assignment, which made layered-xor train 3.3 times slower
  fields = c("W", "b", "act", "d_act", "learning_rate", "A1", "Z", "A", "dW", "db"),
  methods = list(
    initialize = function(W, b, activation, learning_rate = 0.1) {
      "W neurons x inputs, b neurons x 1, activation 'tanh' or 'sigmoid'."
      W <<- W
      b <<- b
      act <<- activation_functions[[activation]]$act
      d_act <<- activation_functions[[activation]]$d_act
      learning_rate <<- learning_rate
    },
    feedforward = function(A1) {
      "Z = W A1 + b, A = activation(Z); A1 is the previous layer's output."
      A1 <<- A1
      # as.vector(b) is recycled down each column: b[i] is added to row i, one
      # bias per neuron across all samples
      Z <<- W %*% A1 + as.vector(b)
      A <<- act(Z)
      A
    },
    backprop = function(dA) {
      "Given dcost/dA, update W and b and return dcost/dA1 for the layer before."
      # Step 3: backpropagation, in one layer: dZ, then dW and db (means over the m samples), dA1, the update
      dZ <- d_act(Z) * dA
      m <- ncol(dZ)
      dW <<- 1 / m * tcrossprod(dZ, A1)
      # samples are columns here, so rowSums sums over samples: one value per
      # neuron; as.matrix makes it neurons x 1, the shape of b
      db <<- 1 / m * as.matrix(rowSums(dZ))
      dA1 <- crossprod(W, dZ) # with W before its update, as in the article
      W <<- W - learning_rate * dW
      b <<- b - learning_rate * db
      dA1
    }
  )
)
