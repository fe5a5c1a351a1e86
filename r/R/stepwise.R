# The bias-free walk-through: the article network without biases, step by step.
#
# This is the network of "Understanding the implementation of Neural Networks
# from scratch in detail" (the follow-up to the article), in its own layout and
# names. Its twin is python/twinnet/stepwise.py: the same functions in the
# same order, with the steps numbered identically.
#
# Inside, X is transposed as the article does, so features are rows and
# samples are columns (the fixture still stores X as n x d rows):
#   X  d x n     y  1 x n     weights_input_hidden  d x h     weights_hidden_output  h x 1
#
# The backward pass keeps the article's chain-rule factors as named values, and
# each update is w <- w - lr * dE/dw for E = sum(1/2 (y - output)^2), a sum
# over samples. The function names are unique across the package because all
# variants share the package's one namespace.

weight_names <- c("weights_input_hidden", "weights_hidden_output")

#' Train the bias-free walk-through network
#'
#' @param X Input matrix as stored in the fixture, n x d (transposed inside).
#' @param y Target matrix, n x 1.
#' @param params Named list of `weights_input_hidden` (d x h) and
#'   `weights_hidden_output` (h x 1).
#' @param epochs Number of epochs, a whole number >= 0.
#' @param lr Learning rate.
#' @return A list with `params`, `loss` (length `epochs`, the mean
#'   \eqn{\frac{1}{2}(y - output)^2} of each epoch's forward pass before its
#'   update) and `output` (n x 1).
#' @export
#' @examples
#' fixture <- read_fixture(twinnet_example("stepwise"))
#' fit <- train_stepwise(fixture$data$X, fixture$data$y, fixture$init,
#'                       epochs = 100, lr = fixture$hyper$lr)
#' tail(fit$loss, 1)
train_stepwise <- function(X, y, params, epochs, lr) {
  # Step 0: transpose the input and output, so samples are columns
  X <- t(X)
  y <- t(y)
  # Step 1: initialize the weights (drawn by the generator, read from the fixture)
  params <- params[weight_names]
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    forward_pass <- forward_propagation(X, params)
    loss_history[epoch] <- loss(y, forward_pass$output)
    backward_pass <- backward_propagation(X, y, params, forward_pass)
    params <- update_weights(params, backward_pass, lr)
  }
  list(params = params, loss = loss_history, output = t(forward_propagation(X, params)$output))
}

#' Forward pass of the walk-through network
#'
#' @param X Input matrix in the article's layout, d x n.
#' @inheritParams train_stepwise
#' @return Every intermediate, by the article's names.
#' @export
forward_propagation <- function(X, params) {
  # Step 2: hidden layer linear transform, h x n: t(weights_input_hidden) %*% X
  hiddenLayer_linearTransform <- crossprod(params$weights_input_hidden, X)
  # Step 3: hidden layer activations, h x n
  hiddenLayer_activations <- sigmoid(hiddenLayer_linearTransform)
  # Step 4: output layer linear transform and output, 1 x n
  outputLayer_linearTransform <- crossprod(params$weights_hidden_output, hiddenLayer_activations)
  output <- sigmoid(outputLayer_linearTransform)
  list(
    hiddenLayer_linearTransform = hiddenLayer_linearTransform,
    hiddenLayer_activations = hiddenLayer_activations,
    outputLayer_linearTransform = outputLayer_linearTransform,
    output = output
  )
}

#' Backward pass of the walk-through network
#'
#' @param X Input matrix in the article's layout, d x n.
#' @param y Target matrix in the article's layout, 1 x n.
#' @inheritParams train_stepwise
#' @param forward_pass The list returned by [forward_propagation()].
#' @return The article's chain-rule factors and both gradients, by name.
#' @export
backward_propagation <- function(X, y, params, forward_pass) {
  H <- forward_pass$hiddenLayer_activations
  output <- forward_pass$output
  # Step 5: rate of change of error w.r.t. output, 1 x n
  error_wrt_output <- -(y - output)
  # Step 6: rate of change of output w.r.t. Z2, 1 x n
  output_wrt_outputLayer_linearTransform <- output * (1 - output)
  # Step 7: rate of change of Z2 w.r.t. weights between hidden and output layer, h x n
  outputLayer_linearTransform_wrt_weights_hidden_output <- H
  # Step 8: rate of change of error w.r.t. weights between hidden and output layer, h x 1
  error_wrt_weights_hidden_output <- tcrossprod(
    outputLayer_linearTransform_wrt_weights_hidden_output,
    error_wrt_output * output_wrt_outputLayer_linearTransform
  )
  # Step 9: rates of change of Z2 w.r.t. H (h x 1), H w.r.t. Z1 (h x n), Z1 w.r.t. weights (d x n)
  outputLayer_linearTransform_wrt_hiddenLayer_activations <- params$weights_hidden_output
  hiddenLayer_activations_wrt_hiddenLayer_linearTransform <- H * (1 - H)
  hiddenLayer_linearTransform_wrt_weights_input_hidden <- X
  # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d x h
  error_wrt_weights_input_hidden <- tcrossprod(
    hiddenLayer_linearTransform_wrt_weights_input_hidden,
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform *
      (outputLayer_linearTransform_wrt_hiddenLayer_activations %*%
         (output_wrt_outputLayer_linearTransform * error_wrt_output))
  )
  list(
    error_wrt_output = error_wrt_output,
    output_wrt_outputLayer_linearTransform = output_wrt_outputLayer_linearTransform,
    outputLayer_linearTransform_wrt_weights_hidden_output = outputLayer_linearTransform_wrt_weights_hidden_output,
    error_wrt_weights_hidden_output = error_wrt_weights_hidden_output,
    outputLayer_linearTransform_wrt_hiddenLayer_activations = outputLayer_linearTransform_wrt_hiddenLayer_activations,
    hiddenLayer_activations_wrt_hiddenLayer_linearTransform = hiddenLayer_activations_wrt_hiddenLayer_linearTransform,
    hiddenLayer_linearTransform_wrt_weights_input_hidden = hiddenLayer_linearTransform_wrt_weights_input_hidden,
    error_wrt_weights_input_hidden = error_wrt_weights_input_hidden
  )
}

#' Gradient-descent update of the walk-through network
#'
#' Step 11: \eqn{w \leftarrow w - lr \cdot \partial E / \partial w}.
#'
#' @inheritParams train_stepwise
#' @param backward_pass The list returned by [backward_propagation()].
#' @return The updated `params`.
#' @export
update_weights <- function(params, backward_pass, lr) {
  # Step 11: update the weights
  params$weights_hidden_output <- params$weights_hidden_output - lr * backward_pass$error_wrt_weights_hidden_output
  params$weights_input_hidden <- params$weights_input_hidden - lr * backward_pass$error_wrt_weights_input_hidden
  params
}
