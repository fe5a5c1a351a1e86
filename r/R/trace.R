# Every named quantity of one epoch, step by step: what a learner checks their own code against.
#
# Twin of python/twinnet/trace.py: the same functions in the same order, the
# same tables. A trace runs the fixture's own training for epoch - 1 epochs,
# then one more epoch through the variant's own functions (forward, loss,
# backward, update), keeping the local variables of each call as it returns.
# Nothing is recomputed here, so a trace cannot drift from the twins'
# arithmetic: the parameters after the traced update are the ones train()
# gives after `epoch` epochs, bit for bit (the tests check it).
#
# Each quantity is labelled with the step of the twins' `# Step N: title`
# markers whose code computes it; the tables below name them, in the order the
# epoch computes them, and a test checks every number and title against the
# markers of both twins. The loss has no marker of its own in the article and
# the walk-through: it is listed under Step 5, the error at the output, whose
# half mean square it is. The Layer-class network's Step 4 (predictions) is the
# output of the network as this epoch's update leaves it. Every value is a matrix (a number is 1 x 1), in the
# twin's own layout: the walk-through and the Layer-class network hold samples
# as columns.
#
# trace_fixture() reads a fixture and traces its variant: a "twinnet-trace/1"
# list, what `python -m twinnet trace --lang r` prints.

trace_schema <- "twinnet-trace/1"

# (step, title, names): the quantities of each step in the order one epoch computes them.
# "updated.P" is parameter P after the epoch's update; "layerK.Q" is field or local Q of layer K.
step_row <- function(step, title, names) list(step = step, title = title, names = names)

article_steps <- list(
  step_row(0, "read input and output", c("X", "y")),
  step_row(1, "initialize weights and biases", c("wh", "bh", "wout", "bout")),
  step_row(2, "hidden layer input", "hidden_layer_input"),
  step_row(3, "non-linear transformation of the hidden layer input", "hiddenlayer_activations"),
  step_row(4, "linear and non-linear transformation at the output layer", c("output_layer_input", "output")),
  step_row(5, "error at the output layer", c("loss", "E")),
  step_row(6, "slopes at the output and hidden layers", c("slope_output_layer", "slope_hidden_layer")),
  step_row(7, "delta at the output layer", "d_output"),
  step_row(8, "error at the hidden layer", "error_at_hidden_layer"),
  step_row(9, "delta at the hidden layer", "d_hiddenlayer"),
  step_row(10, "weight slopes", c("descent.wh", "descent.wout", "updated.wh", "updated.wout")),
  step_row(11, "bias slopes", c("descent.bh", "descent.bout", "updated.bh", "updated.bout"))
)
stepwise_steps <- list(
  step_row(0, "transpose the input and output", c("X", "y")),
  step_row(1, "initialize the weights", c("weights_input_hidden", "weights_hidden_output")),
  step_row(2, "hidden layer linear transform", "hiddenLayer_linearTransform"),
  step_row(3, "hidden layer activations", "hiddenLayer_activations"),
  step_row(4, "output layer linear transform and output", c("outputLayer_linearTransform", "output")),
  step_row(5, "rate of change of error w.r.t. output", c("loss", "error_wrt_output")),
  step_row(6, "rate of change of output w.r.t. Z2", "output_wrt_outputLayer_linearTransform"),
  step_row(7, "rate of change of Z2 w.r.t. weights between hidden and output layer",
           "outputLayer_linearTransform_wrt_weights_hidden_output"),
  step_row(8, "rate of change of error w.r.t. weights between hidden and output layer",
           "error_wrt_weights_hidden_output"),
  step_row(9, "rates of change of Z2 w.r.t. H", c("outputLayer_linearTransform_wrt_hiddenLayer_activations",
                                                  "hiddenLayer_activations_wrt_hiddenLayer_linearTransform",
                                                  "hiddenLayer_linearTransform_wrt_weights_input_hidden")),
  step_row(10, "rate of change of error w.r.t. weights between input and hidden layer",
           "error_wrt_weights_input_hidden"),
  step_row(11, "update the weights", c("updated.weights_hidden_output", "updated.weights_input_hidden"))
)
# The Layer-class network's quantities depend on its number of layers: "{k}" is a layer's number.
layered_steps <- list(
  step_row(0, "the network", c("x", "y", "W{k}", "b{k}")),
  step_row(1, "feed forward through every layer", c("layer{k}.Z", "layer{k}.A")),
  step_row(2, "cost", "cost"),
  step_row(3, "backpropagation", c("dA", "layer{k}.dZ", "layer{k}.dW", "layer{k}.db", "layer{k}.dA1",
                                   "updated.W{k}", "updated.b{k}")),
  step_row(4, "predictions of the trained network", "output")
)
step_tables <- list(article = article_steps, stepwise = stepwise_steps, layered = layered_steps)

#' Trace one epoch of a fixture
#'
#' Every named quantity of one epoch of the fixture's variant (forward, loss,
#' backward, update), labelled with the twins' step numbers and titles, in
#' step order: what a learner compares against the texts.
#'
#' @param path Path to a `twinnet-fixture/1` JSON file.
#' @param epoch The epoch to trace, a whole number from 1.
#' @return A `twinnet-trace/1` list: `schema`, `fixture`, `variant`,
#'   `language`, `epoch` and `quantities`, a list of entries with `step`,
#'   `title`, `name`, `shape` and `values` (a matrix).
#' @export
#' @examples
#' trace <- trace_fixture(twinnet_example("stepwise"))
#' trace$quantities[[5]]$name
#' trace$quantities[[5]]$values
trace_fixture <- function(path, epoch = 1) {
  fixture <- read_fixture(path)
  if (!is_whole(epoch, 1, max_epochs)) {
    fixture_error("E_HYPER", "epoch: expected a whole number from 1 to ", format(max_epochs, scientific = FALSE))
  }
  entries <- trace_variant(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, fixture$hyper, epoch)
  for (entry in entries) {
    if (!all(is.finite(entry$value))) {
      fixture_error("E_DIVERGED", "trace.", entry$name, ": not finite in epoch ", epoch,
                    ": training diverged (try a smaller hyper.lr)")
    }
  }
  list(
    schema = trace_schema,
    fixture = fixture$name,
    variant = fixture$variant,
    language = "r",
    epoch = as.integer(epoch),
    quantities = lapply(entries, function(entry) {
      list(step = entry$step, title = entry$title, name = entry$name, shape = dim(entry$value),
           values = entry$value)
    })
  )
}

#' Trace one epoch of a variant
#'
#' `trace_article()`, `trace_stepwise()` and `trace_layered()` run the
#' variant's own training for `epoch - 1` epochs, then epoch `epoch` through
#' its own functions, and return every named quantity of that epoch (the
#' locals of each call as it returns). `trace_variant()` labels them with the
#' twins' step numbers and titles, in step order; `step_names()` lists those
#' labels.
#'
#' @param X Input matrix as stored in the fixture, n x d.
#' @param y Target matrix, n x 1.
#' @param params Named list of initial parameters, shaped as [param_shapes()] says.
#' @param lr Learning rate.
#' @param epoch The epoch to trace, from 1.
#' @param activations One of `"tanh"` or `"sigmoid"` per layer.
#' @return `trace_article()` and the others: a named list of matrices (or
#'   numbers). `trace_variant()`: a list of entries with `step`, `title`,
#'   `name` and `value` (a matrix).
#' @keywords internal
trace_article <- function(X, y, params, lr, epoch) {
  params <- train(X, y, params, epoch - 1, lr)$params
  forward_pass <- call_keeping_locals(forward, X, params)
  output <- forward_pass$result$output
  mean_loss <- loss(y, output)
  backward_pass <- call_keeping_locals(backward, X, y, params, forward_pass$result$H, output)
  descent <- backward_pass$result
  updated <- update_params(params, descent, lr)
  c(list(X = X, y = y), params, forward_pass$locals, list(loss = mean_loss), backward_pass$locals,
    stats::setNames(descent, paste0("descent.", names(descent))),
    stats::setNames(updated, paste0("updated.", names(updated))))
}

#' @rdname trace_article
trace_stepwise <- function(X, y, params, lr, epoch) {
  params <- train_stepwise(X, y, params, epoch - 1, lr)$params
  X <- t(X)
  y <- t(y)
  forward <- forward_propagation(X, params)
  mean_loss <- loss(y, forward$output)
  backward <- backward_propagation(X, y, params, forward)
  updated <- update_weights(params, backward, lr)
  c(list(X = X, y = y), params, forward, list(loss = mean_loss), backward,
    stats::setNames(updated, paste0("updated.", names(updated))))
}

#' @rdname trace_article
trace_layered <- function(X, y, params, activations, lr, epoch) {
  params <- train_layered(X, y, params, activations, epoch - 1, lr)$params
  x <- t(X)
  y <- t(y)
  m <- ncol(x)
  lyr <- lapply(seq_along(activations), function(k) {
    Layer$new(W = params[[paste0("W", k)]], b = params[[paste0("b", k)]],
              activation = activations[[k]], learning_rate = lr)
  })
  quantities <- c(list(x = x, y = y), params)
  A <- feedforward_all(lyr, x)
  for (k in seq_along(lyr)) {
    quantities[[paste0("layer", k, ".Z")]] <- lyr[[k]]$Z
    quantities[[paste0("layer", k, ".A")]] <- lyr[[k]]$A
  }
  quantities$cost <- 1 / m * sum(logloss(y, A))
  dA <- quantities$dA <- d_logloss(y, A)
  for (k in rev(seq_along(lyr))) {
    layer <- lyr[[k]]
    backprop <- call_keeping_locals(layer$backprop, dA)
    dA <- backprop$result
    named <- list(dZ = backprop$locals$dZ, dW = layer$dW, db = layer$db, dA1 = dA)
    quantities[paste0("layer", k, ".", names(named))] <- named
    quantities[[paste0("updated.W", k)]] <- layer$W
    quantities[[paste0("updated.b", k)]] <- layer$b
  }
  quantities$output <- t(feedforward_all(lyr, x))
  quantities
}

#' @rdname trace_article
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param hyper The fixture's checked `hyper` list.
trace_variant <- function(variant, X, y, params, hyper, epoch) {
  values <- switch(variant,
    layered = trace_layered(X, y, params, unlist(hyper$activations), hyper$lr, epoch),
    article = trace_article(X, y, params, hyper$lr, epoch),
    stepwise = trace_stepwise(X, y, params, hyper$lr, epoch)
  )
  layers <- if (variant == "layered") length(hyper$neurons) else 0
  lapply(step_names(variant, layers), function(row) {
    value <- values[[row$name]]
    c(row, list(value = if (is.matrix(value)) value else matrix(value, 1, 1)))
  })
}

#' @rdname trace_article
#' @param layers The Layer-class network's number of layers (the backward
#'   pass goes from the last layer to the first).
step_names <- function(variant, layers = 0) {
  rows <- list()
  for (table_row in step_tables[[variant]]) {
    names <- table_row$names
    layer_names <- names[grepl("{k}", names, fixed = TRUE)]
    order <- if (table_row$step == 3 && variant == "layered") rev(seq_len(layers)) else seq_len(layers)
    for (name in c(setdiff(names, layer_names),
                   unlist(lapply(order, function(k) gsub("{k}", k, layer_names, fixed = TRUE))))) {
      rows[[length(rows) + 1]] <- list(step = table_row$step, title = table_row$title, name = name)
    }
  }
  rows
}

#' Call a function and keep its local variables
#'
#' Calls `fn(...)` and returns its result and its local variables as they were
#' when it returned: through a copy of `fn` whose body first registers, with
#' `on.exit()`, a handler that keeps the frame. The copy keeps `fn`'s
#' environment, so a [Layer] method still updates its own fields with `<<-`.
#'
#' @param fn A function (or a Layer method).
#' @param ... Its arguments.
#' @return A list with `result` and `locals` (the numeric locals, by name).
#' @keywords internal
#' @noRd
call_keeping_locals <- function(fn, ...) {
  kept <- new.env()
  keeping <- fn
  body(keeping) <- bquote({
    on.exit(assign("frame", environment(), envir = .(kept)))
    .(body(fn))
  })
  result <- keeping(...)
  locals <- as.list(kept$frame, all.names = FALSE)
  list(result = result, locals = locals[vapply(locals, is.numeric, logical(1))])
}
