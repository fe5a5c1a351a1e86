# Fast paths: the twins' training loops in cache-sized row blocks.
#
# Twin of python/twinnet/fast.py: the same functions in the same order, the
# same step markers. The readable twins (article.R, stepwise.R, layered.R)
# stay the reference. A fast path computes the same quantities, reassociated:
# it equals its reference within the parity tolerance, not bit for bit, and
# the proof is epoch by epoch (tests/testthat/test-fast.R): from the same
# parameters, one epoch of each agrees within 1e-12 * max(1, |value|) on every
# shipped fixture and on random problems. `python -m twinnet bench` times both.
#
# What makes them fast, in R:
# - row blocks: the samples are processed block_rows at a time (forward pass,
#   slopes, deltas of one block, then its contributions added to the
#   gradients), so the n x h arrays never exist whole: R allocates small
#   block-sized vectors that malloc reuses, instead of several n x h vectors
#   per epoch that page-fault in and wake the garbage collector;
# - biases folded into the products: a block of X gets a column of ones, so
#   X1 %*% rbind(wh, bh) is the hidden layer input and crossprod(X1, delta)
#   gives the weight slopes and, in its last row, the bias slopes: BLAS does
#   the column sums;
# - the hidden delta is (H (1 - H) * d_output) scaled by wout per column;
#   the scaling is applied once per epoch to the (d + 1) x h sums, not to
#   every element; d_output scales rows, so it scales the rows of X1
#   (rows x (d + 1)) before the product instead of the rows x h delta; and
#   the minus of exp(-x) is folded into the weights;
# - the Layer-class network: when its second layer has one neuron, the first
#   layer's delta is never formed (the same row and column scaling as the
#   article's), and tanh is 2 / (1 + exp(-2 z)) - 1: R's exp() is twice as
#   fast as its tanh();
# - one loop body with no function calls, lists or Map() per block;
# - no straight-line scalar loop for the smallest problems, unlike the Python
#   twin (_train_scalar, _train_layered_scalar): there it replaces numpy's
#   per-call cost; here a prototype gave 15 us an epoch on the article's
#   fixture against 22.6 us for this loop, not enough to pay for a code
#   generator in R;
# - one process: no worker processes and no sockets. R has no threads of
#   its own for elementwise work; a second process would need a fork per
#   training (package parallel) and a channel to it. Measured on this 2-core
#   machine (AMD EPYC Zen 3, shared with other jobs), a second worker did not
#   pay: the Python twin's second thread took 413 ms an epoch at n = 1e5
#   against 289 ms for one, and R's forked worker paid a serialisation of the
#   sums each way per epoch on top. A process that never forks cannot leave
#   an orphan behind, and one that opens no socket cannot be reached from the
#   network. TWINNET_THREADS is read and checked as in Python (a positive
#   integer, at most the number of cores) so a wrong value is refused the
#   same way in both languages; R uses one process whatever it says.
#   R's exp() is the C library's, one element at a time: see the Benchmark page.

#' Rows per block of the fast paths, at most
#'
#' 256 rows x 64 hidden units is 128 KiB per block array, which stays in a
#' 1 MiB L2 cache; the same as the Python twin's `BLOCK_ROWS`. R's blocks are
#' made smaller where a block's product would reach OpenBLAS's threading
#' threshold (see `block_rows` of [train_fast()]). Measured in the README's
#' Benchmark section.
#' @keywords internal
fast_block_rows <- 256L

#' Train the article network, fast
#'
#' [train()] in row blocks, within the parity tolerance of it (not bit for
#' bit): the n x h arrays never exist whole.
#'
#' @inheritParams train
#' @param block_rows Rows per block; `NULL` for [fast_block_rows], or fewer
#'   where a block's largest product (rows x inputs x outputs) would reach
#'   2^18 multiply-adds: OpenBLAS runs larger products on its own threads,
#'   which base R cannot hold to one as the Python twin does, and those
#'   threads spin against other processes (measured: at n = 1e4, d = 32,
#'   h = 64, 21 ms an epoch with blocks of 256 rows, 11 ms with 120).
#' @return A list with `params`, `loss` (length `epochs`) and `output` (n x 1).
#'   The environment variable `TWINNET_THREADS`, when set, must be a positive
#'   integer (an error of class `twinnet_fixture_error`, code `E_USAGE`,
#'   otherwise); R's fast paths run in one process whatever it says.
#' @export
train_fast <- function(X, y, params, epochs, lr, block_rows = NULL) {
  threads_setting()
  n <- nrow(X)
  d <- ncol(X)
  # Step 1: initialize weights and biases, bh as the last row of whb ((d + 1) x h)
  whb <- rbind(params$wh, params$bh)
  wout <- params$wout
  bout <- params$bout[1]
  blocks <- row_blocks(n, if (is.null(block_rows)) blas_block_rows(d + 1, ncol(whb)) else block_rows)
  # one block: its copy with a column of ones is made once, not every epoch
  X1all <- if (length(blocks) == 1) cbind(X, 1) else NULL

  # One epoch's forward and backward passes over the blocks, and their sums;
  # neg_whb is -rbind(wh, bh), so the sigmoid's exp(-x) needs no negation.
  epoch_sums <- function(neg_whb, wout, bout) {
    x_delta <- h_delta <- output_delta_sum <- half_square_sum <- 0
    for (rows in blocks) {
      # the block, with a column of ones for the biases
      X1 <- if (is.null(X1all)) cbind(X[rows, , drop = FALSE], 1) else X1all
      # Step 2: hidden layer input, rows x h, negated: X1 %*% -rbind(wh, bh)
      # Step 3: sigmoid of the hidden layer input, in one temporary
      H <- 1 / (1 + exp(X1 %*% neg_whb))
      # Step 4: output layer, a vector of the block's rows
      output <- 1 / (1 + exp(-(drop(H %*% wout) + bout)))
      # Step 5: error at the output layer, and the loss from it
      E <- y[rows] - output
      half_square_sum <- half_square_sum + sum(E * E)
      # Step 6: slopes at the output layer, o (1 - o)
      # Step 7: delta at the output layer
      d_output <- E * (output * (1 - output))
      # Step 8: error at the hidden layer, d_output %*% t(wout): wout is applied to the sums, once per epoch
      # Step 9: delta at the hidden layer, without wout: H (1 - H) * d_output, and the block's sums;
      # d_output scales rows, so it scales the rows of X1 (rows x (d + 1)), not every hidden element
      h_delta <- h_delta + crossprod(H, d_output)
      x_delta <- x_delta + crossprod(X1 * d_output, H * (1 - H))
      output_delta_sum <- output_delta_sum + sum(d_output)
    }
    list(x_delta = x_delta, h_delta = h_delta, output_delta_sum = output_delta_sum,
         half_square_sum = half_square_sum)
  }

  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    sums <- epoch_sums(-whb, wout, bout)
    # Step 10: weight slopes, t(X1) %*% delta scaled by wout per column (its last row: the bias slopes)
    # Step 11: bias slopes, then every parameter: theta <- theta + descent * lr
    whb <- whb + sums$x_delta * rep(wout, each = d + 1) * lr
    wout <- wout + sums$h_delta * lr
    bout <- bout + sums$output_delta_sum * lr
    loss_history[epoch] <- sums$half_square_sum / 2 / n
  }
  neg_whb <- -whb
  output <- matrix(0, n, 1)
  for (rows in blocks) {
    H <- 1 / (1 + exp(cbind(X[rows, , drop = FALSE], 1) %*% neg_whb))
    output[rows] <- 1 / (1 + exp(-(H %*% wout + bout)))
  }
  params <- list(wh = whb[seq_len(d), , drop = FALSE], bh = whb[d + 1, , drop = FALSE], wout = wout,
                 bout = matrix(bout, 1, 1))
  list(params = params, loss = loss_history, output = output)
}

#' Train the bias-free walk-through network, fast
#'
#' [train_stepwise()] without its per-epoch function calls and lists of named
#' factors. The walk-through's fixtures are tiny, so it is not blocked.
#'
#' @inheritParams train_stepwise
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
train_stepwise_fast <- function(X, y, params, epochs, lr) {
  # Step 0: transpose the input and output, so samples are columns
  X <- t(X)
  y <- t(y)
  # Step 1: initialize the weights
  w_ih <- params$weights_input_hidden
  w_ho <- params$weights_hidden_output
  loss_history <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    # Step 2: hidden layer linear transform, h x n
    # Step 3: hidden layer activations, in one temporary
    H <- 1 / (1 + exp(-crossprod(w_ih, X)))
    # Step 4: output layer linear transform and output, 1 x n
    output <- 1 / (1 + exp(-crossprod(w_ho, H)))
    # Step 5: rate of change of error w.r.t. output, and the loss from y - output
    loss_history[epoch] <- mean((y - output)^2 / 2)
    error <- -(y - output)
    # Step 6: rate of change of output w.r.t. Z2
    # Step 7: rate of change of Z2 w.r.t. weights between hidden and output layer (H itself)
    delta_output <- error * (output * (1 - output))
    # Step 8: rate of change of error w.r.t. weights between hidden and output layer, h x 1
    g_ho <- tcrossprod(H, delta_output)
    # Step 9: rates of change of Z2 w.r.t. H, and of H w.r.t. Z1
    # Step 10: rate of change of error w.r.t. weights between input and hidden layer, d x h
    g_ih <- tcrossprod(X, (H * (1 - H)) * (w_ho %*% delta_output))
    # Step 11: update the weights, w <- w - lr * dE/dw
    w_ho <- w_ho - lr * g_ho
    w_ih <- w_ih - lr * g_ih
  }
  params <- list(weights_input_hidden = w_ih, weights_hidden_output = w_ho)
  list(params = params, loss = loss_history, output = t(forward_propagation(X, params)$output))
}

#' Train the Layer-class network, fast
#'
#' [train_layered()] in row blocks, without [Layer] objects: no Reference
#' Class method is called in the epoch loop. Within the parity tolerance of
#' the reference (not bit for bit). Inside, samples are rows, so a layer's
#' input is `cbind(Ain, 1) %*% t(cbind(W, b))`; every layer's gradient comes
#' from the same forward pass, so updating them all at the end of the epoch
#' is the reference's update. When the second layer has one neuron (the usual
#' hidden layer and output), the first layer's delta `(dZ2 %*% W2) * act'(A1)`
#' is never formed: dZ2 scales rows, so it scales the rows of X, and W2 scales
#' columns, so it scales the first layer's sums once per epoch.
#'
#' @inheritParams train_layered
#' @inheritParams train_fast
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
train_layered_fast <- function(X, y, params, activations, epochs, lr, block_rows = NULL) {
  threads_setting()
  n <- nrow(X)
  layers <- length(activations)
  # Step 0: the layers, as cbind(W, b) (neurons x (inputs + 1)), and which use tanh
  Wb <- lapply(seq_len(layers), function(i) cbind(params[[paste0("W", i)]], params[[paste0("b", i)]]))
  is_tanh <- activations == "tanh"
  scaled_first <- layers > 1 && nrow(Wb[[2]]) == 1 # the first layer's sums are scaled by W2 once per epoch
  if (is.null(block_rows)) { # from the layer with the largest product per row
    widest <- Wb[[which.max(vapply(Wb, length, 1L))]]
    block_rows <- blas_block_rows(ncol(widest), nrow(widest))
  }
  blocks <- row_blocks(n, block_rows)
  # one block: its copy with a column of ones is made once, not every epoch
  X1all <- if (length(blocks) == 1) cbind(X, 1) else NULL

  # One epoch's forward and backward passes over the blocks, and their sums.
  epoch_sums <- function(Wb) {
    A <- vector("list", layers) # each layer's activations of one block, rows x neurons
    A1 <- vector("list", layers) # the same beside a column of ones: the next layer's input
    dWb <- as.list(numeric(layers)) # each layer's sum, 0 until its first block
    W <- lapply(Wb, function(w) w[, -ncol(w), drop = FALSE]) # without the biases: for dA of the layer before
    cost_sum <- 0
    for (rows in blocks) {
      X1 <- if (is.null(X1all)) cbind(X[rows, , drop = FALSE], 1) else X1all
      Ain <- X1
      for (i in seq_len(layers)) {
        # Step 1: feed forward: Z = cbind(Ain, 1) %*% t(cbind(W, b)), A = act(Z)
        Z <- tcrossprod(Ain, Wb[[i]])
        # tanh(z) = 2 / (1 + exp(-2 z)) - 1: R's exp() is twice as fast as its tanh()
        A[[i]] <- if (is_tanh[i]) 2 / (1 + exp(-2 * Z)) - 1 else 1 / (1 + exp(-Z))
        Ain <- if (i < layers) A1[[i]] <- cbind(A[[i]], 1) else A[[i]]
      }
      # Step 2: cost: the log-loss of the clipped output, summed
      a <- pmin(pmax(Ain, log_loss_epsilon), 1 - log_loss_epsilon)
      yb <- y[rows]
      cost_sum <- cost_sum - sum(yb * log(a) + (1 - yb) * log(1 - a))
      # Step 3: backpropagation: dA = dlogloss/da, then per layer dZ = act'(A) * dA, from the activation
      dA <- (a - yb) / (a * (1 - a))
      for (i in rev(seq_len(layers))) {
        slope <- if (is_tanh[i]) 1 - A[[i]]^2 else (1 - A[[i]]) * A[[i]]
        if (i == 1 && scaled_first) { # t(act'(A1)) %*% (X1 * dZ2), scaled by W2 after the epoch
          dWb[[1]] <- dWb[[1]] + crossprod(slope, X1 * drop(dZ))
          break
        }
        dZ <- slope * dA
        dWb[[i]] <- dWb[[i]] + crossprod(dZ, if (i > 1) A1[[i - 1]] else X1)
        if (i > 2 || (i == 2 && !scaled_first)) dA <- dZ %*% W[[i]] # dA of the layer before, W before its update
      }
    }
    list(dWb = dWb, cost_sum = cost_sum)
  }

  costs <- numeric(epochs)
  for (epoch in seq_len(epochs)) {
    sums <- epoch_sums(Wb)
    dWb <- sums$dWb
    costs[epoch] <- sums$cost_sum / n # the mean log-loss over the n samples
    # the first layer's delta, (dZ2 %*% W2) * act'(A1): W2 (before its update) scales its sums' rows
    if (scaled_first) dWb[[1]] <- dWb[[1]] * as.vector(Wb[[2]][, -ncol(Wb[[2]])])
    # the gradients averaged over the samples; every layer updated
    for (i in seq_len(layers)) Wb[[i]] <- Wb[[i]] - dWb[[i]] * (lr / n)
  }
  # Step 4: predictions of the trained network
  output <- matrix(0, n, 1)
  for (rows in blocks) {
    Ain <- cbind(X[rows, , drop = FALSE], 1)
    for (i in seq_len(layers)) {
      Z <- tcrossprod(Ain, Wb[[i]])
      Ain <- if (is_tanh[i]) 2 / (1 + exp(-2 * Z)) - 1 else 1 / (1 + exp(-Z))
      if (i < layers) Ain <- cbind(Ain, 1)
    }
    output[rows] <- Ain
  }
  trained <- list()
  for (i in seq_len(layers)) {
    inputs <- ncol(Wb[[i]]) - 1
    trained[[paste0("W", i)]] <- Wb[[i]][, seq_len(inputs), drop = FALSE]
    trained[[paste0("b", i)]] <- Wb[[i]][, inputs + 1, drop = FALSE]
  }
  list(params = trained, loss = costs, output = output)
}

# Rows per block: fast_block_rows, or fewer so that a block's product with an
# inputs x outputs matrix stays below 2^18 multiply-adds, where OpenBLAS
# (0.3.21, Debian's) starts its own threads (SMP_THRESHOLD_MIN 65536 x
# GEMM_MULTITHREAD_THRESHOLD 4).
blas_block_rows <- function(inputs, outputs) {
  as.integer(max(1, min(fast_block_rows, (2^18 - 1) %/% (inputs * outputs))))
}

# The row blocks of n samples, block_rows each (the last one shorter), as index vectors.
row_blocks <- function(n, block_rows) {
  if (block_rows < 1) stop("block_rows must be at least 1", call. = FALSE)
  if (n == 0) return(list())
  lapply(seq.int(1L, n, by = block_rows), function(start) start:min(start + block_rows - 1L, n))
}

#' The TWINNET_THREADS setting, checked
#'
#' As the Python twin checks it: unset or empty is `NA`; a positive integer is
#' capped at the number of cores; anything else is an error of class
#' `twinnet_fixture_error` with code `E_USAGE` and the same message.
#' @return An integer, or `NA` when unset.
#' @keywords internal
threads_setting <- function() {
  value <- Sys.getenv("TWINNET_THREADS", "")
  if (!nzchar(value)) return(NA_integer_)
  if (!grepl("^[0-9]+$", value) || as.numeric(value) < 1) {
    fixture_error("E_USAGE", "TWINNET_THREADS: must be a positive integer (at most the number of cores), got '",
                  escape(value), "'")
  }
  cores <- parallel::detectCores()
  as.integer(min(as.numeric(value), if (is.na(cores)) 1 else cores))
}
