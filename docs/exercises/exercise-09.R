# A port of the article network (docs/porting.md), in base R with jsonlite.
#
#   Rscript PORT.R FIXTURE RESULT
#
# It reads a twinnet-fixture/1 file, trains for hyper.epochs and writes a
# twinnet-result/1 file. With TWINNET_TRACE=PATH in its environment it also
# writes PATH: every named quantity of its first epoch, labelled by step
# (a twinnet-trace/1 document, docs/porting.md "Traces"), which `twinnet conform`
# compares step by step.

trace <- list() # list(step, title, name, value) of the first epoch, in the order computed

record <- function(step, title, name, value) {
  value <- as.matrix(value)
  trace[[length(trace) + 1]] <<- list(step = as.integer(step), title = title, name = name,
                                      shape = as.list(as.integer(dim(value))), values = value)
}

# A double as text that reads back as the same double (17 significant digits)
number <- function(x) sprintf("%.17g", x)

# JSON text: a matrix as a list of rows, a vector as a list, numbers with number()
to_json <- function(value) {
  if (is.list(value) && !is.null(names(value))) {
    items <- vapply(names(value), function(key) paste0('"', key, '": ', to_json(value[[key]])), "")
    return(paste0("{", paste(items, collapse = ", "), "}"))
  }
  if (is.list(value)) return(paste0("[", paste(vapply(value, to_json, ""), collapse = ", "), "]"))
  if (is.character(value)) return(paste0('"', value, '"'))
  if (is.integer(value)) return(as.character(value))
  if (is.matrix(value)) {
    rows <- apply(value, 1, function(row) paste0("[", paste(number(row), collapse = ", "), "]"))
    return(paste0("[", paste(rows, collapse = ", "), "]"))
  }
  if (length(value) == 0) return("[]")
  paste0("[", paste(number(value), collapse = ", "), "]")
}

write_trace <- function(path, fixture) {
  document <- list(schema = "twinnet-trace/1", fixture = fixture$name, variant = "article", language = "r",
                   epoch = 1L, quantities = trace)
  writeLines(to_json(document), path)
}

# Step 0: read input and output
sigmoid <- function(x) 1 / (1 + exp(-x))

derivatives_sigmoid <- function(activation) activation * (1 - activation)

# A JSON list of rows as a matrix
read_matrix <- function(rows) matrix(unlist(rows), nrow = length(rows), byrow = TRUE)

forward <- function(X, params) {
  # Step 2: hidden layer input
  hidden_layer_input <- X %*% params$wh + rep(params$bh, each = nrow(X))
  # Step 3: non-linear transformation of the hidden layer input
  hiddenlayer_activations <- sigmoid(hidden_layer_input)
  # Step 4: linear and non-linear transformation at the output layer
  output_layer_input <- hiddenlayer_activations %*% params$wout + rep(params$bout, each = nrow(X))
  output <- sigmoid(output_layer_input)
  list(hidden_layer_input = hidden_layer_input, hiddenlayer_activations = hiddenlayer_activations,
       output_layer_input = output_layer_input, output = output)
}

# One epoch: forward, backward, update; the new parameters and the loss
epoch <- function(X, y, params, lr, tracing) {
  pass <- forward(X, params)
  hiddenlayer_activations <- pass$hiddenlayer_activations
  output <- pass$output
  loss <- mean((y - output)^2 / 2)
  # Step 5: error at the output layer
  E <- y - output
  # Step 6: slopes at the output and hidden layers
  slope_output_layer <- derivatives_sigmoid(output)
  slope_hidden_layer <- derivatives_sigmoid(hiddenlayer_activations)
  # Step 7: delta at the output layer
  d_output <- E * slope_output_layer
  # Step 8: error at the hidden layer
  error_at_hidden_layer <- d_output %*% t(params$wout)
  # Step 9: delta at the hidden layer
  d_hiddenlayer <- error_at_hidden_layer * slope_hidden_layer
  # Step 10: weight slopes, and the update of the weights
  descent_wout <- t(hiddenlayer_activations) %*% d_output
  descent_wh <- t(X) %*% d_hiddenlayer
  wout <- params$wout + descent_wout * lr
  wh <- params$wh + descent_wh * lr
  # Step 11: bias slopes, and the update of the biases
  descent_bout <- t(colSums(d_output))
  descent_bh <- t(colSums(d_hiddenlayer))
  bout <- params$bout
  bout + descent_bout * lr
  bh <- params$bh
  bh + descent_bh * lr
  if (tracing) {
    record(2, "hidden layer input", "hidden_layer_input", pass$hidden_layer_input)
    record(3, "non-linear transformation of the hidden layer input", "hiddenlayer_activations",
           hiddenlayer_activations)
    record(4, "linear and non-linear transformation at the output layer", "output_layer_input",
           pass$output_layer_input)
    record(4, "linear and non-linear transformation at the output layer", "output", output)
    record(5, "error at the output layer", "loss", loss)
    record(5, "error at the output layer", "E", E)
    record(6, "slopes at the output and hidden layers", "slope_output_layer", slope_output_layer)
    record(6, "slopes at the output and hidden layers", "slope_hidden_layer", slope_hidden_layer)
    record(7, "delta at the output layer", "d_output", d_output)
    record(8, "error at the hidden layer", "error_at_hidden_layer", error_at_hidden_layer)
    record(9, "delta at the hidden layer", "d_hiddenlayer", d_hiddenlayer)
    record(10, "weight slopes", "descent.wh", descent_wh)
    record(10, "weight slopes", "descent.wout", descent_wout)
    record(10, "weight slopes", "updated.wh", wh)
    record(10, "weight slopes", "updated.wout", wout)
    record(11, "bias slopes", "descent.bh", descent_bh)
    record(11, "bias slopes", "descent.bout", descent_bout)
    record(11, "bias slopes", "updated.bh", bh)
    record(11, "bias slopes", "updated.bout", bout)
  }
  list(params = list(wh = wh, bh = bh, wout = wout, bout = bout), loss = loss)
}

main <- function(args) {
  fixture <- jsonlite::fromJSON(args[[1]], simplifyVector = FALSE)
  X <- read_matrix(fixture$data$X)
  y <- read_matrix(fixture$data$y)
  record(0, "read input and output", "X", X)
  record(0, "read input and output", "y", y)
  epochs <- fixture$hyper$epochs
  lr <- fixture$hyper$lr
  # Step 1: initialize weights and biases
  params <- lapply(fixture$init[c("wh", "bh", "wout", "bout")], read_matrix)
  for (name in names(params)) record(1, "initialize weights and biases", name, params[[name]])
  loss <- numeric(0)
  for (i in seq_len(epochs)) {
    done <- epoch(X, y, params, lr, tracing = i == 1)
    params <- done$params
    loss[i] <- done$loss
  }
  output <- forward(X, params)$output
  result <- list(schema = "twinnet-result/1", fixture = fixture$name, language = "r",
                 params = params, loss = loss, output = output)
  writeLines(to_json(result), args[[2]])
  if (nzchar(Sys.getenv("TWINNET_TRACE"))) write_trace(Sys.getenv("TWINNET_TRACE"), fixture)
}

main(commandArgs(trailingOnly = TRUE))
