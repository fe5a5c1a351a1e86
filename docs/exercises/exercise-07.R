# A port of the Layer-class network (docs/porting.md, `layered`), in base R with jsonlite.
#
#   Rscript PORT.R FIXTURE RESULT
#
# It reads a twinnet-fixture/1 file, trains for hyper.epochs and writes a
# twinnet-result/1 file. With TWINNET_TRACE=PATH in its environment it also
# writes PATH: every named quantity of its first epoch, labelled by step
# (a twinnet-trace/1 document, docs/porting.md "Traces"), which `twinnet conform`
# compares step by step.

trace <- list() # list(step, title, name, value) of the first epoch, in the order computed
epsilon <- 1e-15

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
  document <- list(schema = "twinnet-trace/1", fixture = fixture$name, variant = "layered", language = "r",
                   epoch = 1L, quantities = trace)
  writeLines(to_json(document), path)
}

# Step 0: activation functions, the loss and its derivative
sigmoid <- function(z) 1 / (1 + exp(-z))
activations <- list(
  sigmoid = list(f = sigmoid, slope = function(z) sigmoid(z) * (1 - sigmoid(z))),
  tanh = list(f = tanh, slope = function(z) 1 - tanh(z)^2)
)
clip <- function(a) pmin(pmax(a, epsilon), 1 - epsilon)

# A JSON list of rows as a matrix
read_matrix <- function(rows) matrix(unlist(rows), nrow = length(rows), byrow = TRUE)

# Every layer's Z and A, in order; As[[1]] is the input
feedforward <- function(layers, A) {
  Zs <- list()
  As <- list(A)
  for (layer in layers) {
    Zs[[length(Zs) + 1]] <- layer$W %*% As[[length(As)]] + as.vector(layer$b)
    As[[length(As) + 1]] <- activations[[layer$activation]]$f(Zs[[length(Zs)]])
  }
  list(Z = Zs, A = As)
}

# One epoch: forward, cost, backward with updates; the new layers and the cost
epoch <- function(x, y, layers, lr, tracing) {
  m <- ncol(x)
  # Step 1: feed forward through every layer
  pass <- feedforward(layers, x)
  # Step 2: cost, the mean log-loss over the m samples
  a <- clip(pass$A[[length(pass$A)]])
  cost <- 1 / m * sum(-(y * log(a) + (1 - y) * log(1 - a)))
  if (tracing) {
    for (k in seq_along(layers)) {
      record(1, "feed forward through every layer", paste0("layer", k, ".Z"), pass$Z[[k]])
      record(1, "feed forward through every layer", paste0("layer", k, ".A"), pass$A[[k + 1]])
    }
    record(2, "cost", "cost", cost)
  }
  # Step 3: backpropagation, from the last layer to the first
  dA <- (a - y) / (a * (1 - a))
  if (tracing) record(3, "backpropagation", "dA", dA)
  updated <- layers
  for (k in rev(seq_along(layers))) {
    layer <- layers[[k]]
    dZ <- activations[[layer$activation]]$slope(pass$Z[[k]]) * dA
    dW <- dZ %*% t(pass$A[[k]])
    db <- as.matrix(rowSums(dZ))
    dA <- t(layer$W) %*% dZ
    updated[[k]]$W <- layer$W - lr * dW
    updated[[k]]$b <- layer$b - lr * db
    if (tracing) {
      record(3, "backpropagation", paste0("layer", k, ".dZ"), dZ)
      record(3, "backpropagation", paste0("layer", k, ".dW"), dW)
      record(3, "backpropagation", paste0("layer", k, ".db"), db)
      record(3, "backpropagation", paste0("layer", k, ".dA1"), dA)
      record(3, "backpropagation", paste0("updated.W", k), updated[[k]]$W)
      record(3, "backpropagation", paste0("updated.b", k), updated[[k]]$b)
    }
  }
  if (tracing) {
    after <- feedforward(updated, x)
    record(4, "predictions of the trained network", "output", t(after$A[[length(after$A)]]))
  }
  list(layers = updated, cost = cost)
}

main <- function(args) {
  fixture <- jsonlite::fromJSON(args[[1]], simplifyVector = FALSE)
  # Step 0: the network, a list of layers, and the data with samples as columns
  x <- t(read_matrix(fixture$data$X))
  y <- t(read_matrix(fixture$data$y))
  hyper <- fixture$hyper
  layers <- lapply(seq_along(hyper$activations), function(k) {
    list(W = read_matrix(fixture$init[[paste0("W", k)]]), b = read_matrix(fixture$init[[paste0("b", k)]]),
         activation = hyper$activations[[k]])
  })
  record(0, "the network", "x", x)
  record(0, "the network", "y", y)
  for (k in seq_along(layers)) {
    record(0, "the network", paste0("W", k), layers[[k]]$W)
    record(0, "the network", paste0("b", k), layers[[k]]$b)
  }
  loss <- numeric(0)
  for (i in seq_len(hyper$epochs)) {
    done <- epoch(x, y, layers, hyper$lr, tracing = i == 1)
    layers <- done$layers
    loss[i] <- done$cost
  }
  # Step 4: predictions of the trained network
  pass <- feedforward(layers, x)
  output <- t(pass$A[[length(pass$A)]])
  params <- list()
  for (k in seq_along(layers)) {
    params[[paste0("W", k)]] <- layers[[k]]$W
    params[[paste0("b", k)]] <- layers[[k]]$b
  }
  result <- list(schema = "twinnet-result/1", fixture = fixture$name, language = "r",
                 params = params, loss = loss, output = output)
  writeLines(to_json(result), args[[2]])
  if (nzchar(Sys.getenv("TWINNET_TRACE"))) write_trace(Sys.getenv("TWINNET_TRACE"), fixture)
}

main(commandArgs(trailingOnly = TRUE))
