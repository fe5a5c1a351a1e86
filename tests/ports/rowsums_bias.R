# Broken port: the article's published R code. Its biases are n x h matrices,
# one row per sample, updated with rowSums(delta), which sums each sample's
# deltas over the units; the bias gradient sums each unit's deltas over the
# samples (colSums). The weights stay right. It writes each bias's first row.
# Run with the twinnet package on the library path (R_LIBS=.venv/R-library).
args <- commandArgs(trailingOnly = TRUE)
fixture <- twinnet::read_fixture(args[[1]])
X <- fixture$data$X
Y <- fixture$data$y
lr <- fixture$hyper$lr
wh <- fixture$init$wh
wout <- fixture$init$wout
bh <- matrix(fixture$init$bh, nrow = nrow(X), ncol = ncol(wh), byrow = TRUE)
bout <- matrix(fixture$init$bout, nrow = nrow(X), ncol = 1)
sigmoid <- function(x) 1 / (1 + exp(-x))
derivatives_sigmoid <- function(x) x * (1 - x)
loss <- numeric(0)
for (i in seq_len(fixture$hyper$epochs)) {
  hidden_layer_activations <- sigmoid(X %*% wh + bh)
  output <- sigmoid(hidden_layer_activations %*% wout + bout)
  loss[i] <- mean((Y - output)^2 / 2)
  E <- Y - output
  delta_output <- E * derivatives_sigmoid(output)
  delta_hidden_layer <- (delta_output %*% t(wout)) * derivatives_sigmoid(hidden_layer_activations)
  wout <- wout + (t(hidden_layer_activations) %*% delta_output) * lr
  bout <- bout + rowSums(delta_output) * lr
  wh <- wh + (t(X) %*% delta_hidden_layer) * lr
  bh <- bh + rowSums(delta_hidden_layer) * lr # the mistake: colSums, one row for every sample
}
output <- sigmoid(sigmoid(X %*% wh + bh) %*% wout + bout)
params <- list(wh = wh, bh = bh[1, , drop = FALSE], wout = wout, bout = bout[1, , drop = FALSE])
twinnet::write_result(list(schema = "twinnet-result/1", fixture = fixture$name, language = "r",
                           params = params, loss = loss, output = output), args[[2]])
