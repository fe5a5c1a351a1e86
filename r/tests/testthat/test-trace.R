# trace.R: trace_fixture() and the tracers under it (trace_variant(),
# step_names(), trace_article(), trace_stepwise(), trace_layered()): every
# named quantity of one epoch, labelled with its step, computed by the twins'
# own functions, so it equals what training gives.

trace_entries <- function(trace) {
  stats::setNames(trace$quantities, vapply(trace$quantities, `[[`, "", "name"))
}

# One test per fixture: the trace's header, its entries in step_names() order
# with their shapes, the data and initial parameters as read, and the
# parameters its update leaves equal to training's after the same epochs.
for (path in installed_fixtures()) {
  test_that(paste0("fixture ", basename(path), ": trace_fixture() names, shapes and values agree with training"), {
    name <- sub("\\.json$", "", basename(path))
    where <- function(...) paste0(name, " > ", ...)
    fixture <- read_fixture(path)
    trace <- trace_fixture(path, 2)
    expect_identical(trace[c("schema", "fixture", "variant", "language", "epoch")],
                     list(schema = "twinnet-trace/1", fixture = name, variant = fixture$variant, language = "r",
                          epoch = 2L), label = where("header"))
    layers <- if (fixture$variant == "layered") length(fixture$hyper$neurons) else 0
    labels <- step_names(fixture$variant, layers)
    expect_identical(lapply(trace$quantities, `[`, c("step", "title", "name")), labels,
                     label = where("step, title and name of every entry"))
    for (entry in trace$quantities) {
      expect_true(is.matrix(entry$values) && is.double(entry$values), label = where(entry$name, " is a matrix"))
      expect_identical(entry$shape, dim(entry$values), label = where(entry$name, " > shape"))
      expect_true(all(is.finite(entry$values)), label = where(entry$name, " is finite"))
    }
    entries <- trace_entries(trace)
    # the data as read: samples as rows in the article, as columns in the others
    data_names <- if (fixture$variant == "layered") c("x", "y") else c("X", "y")
    X <- if (fixture$variant == "article") fixture$data$X else t(fixture$data$X)
    y <- if (fixture$variant == "article") fixture$data$y else t(fixture$data$y)
    expect_identical(entries[[data_names[1]]]$values, X, label = where(data_names[1]))
    expect_identical(entries$y$values, y, label = where("y"))
    # the parameters the second epoch starts from are training's after one epoch,
    # and those its update leaves are training's after two, bit for bit
    after_one <- train_fixture(path, 1)$params
    after_two <- train_fixture(path, 2)$params
    for (param in names(fixture$init)) {
      expect_identical(entries[[param]]$values, after_one[[param]], label = where(param, " at the start of epoch 2"))
      expect_identical(entries[[paste0("updated.", param)]]$values, after_two[[param]],
                       label = where("updated.", param, " after epoch 2"))
    }
    # the mean loss of the traced epoch is training's second loss
    loss <- if (fixture$variant == "layered") "cost" else "loss"
    expect_equal(as.vector(entries[[loss]]$values), train_fixture(path, 2)$loss[2], tolerance = 0,
                 label = where(loss, " of epoch 2"))
  })
}

test_that("trace_fixture's article forward pass is forward() on the fixture's data", {
  path <- fixture_path("article")
  fixture <- read_fixture(path)
  entries <- trace_entries(trace_fixture(path))
  forward_pass <- forward(fixture$data$X, fixture$init)
  expect_identical(entries$hiddenlayer_activations$values, forward_pass$H)
  expect_identical(entries$output$values, forward_pass$output)
})

# The walk-through's epoch, step by step ------------------------------------------

trace_values <- function(trace) {
  stats::setNames(lapply(trace$quantities, `[[`, "values"), vapply(trace$quantities, `[[`, "", "name"))
}

test_that("trace_fixture returns the walk-through's quantities in order, with their steps", {
  path <- fixture_path("stepwise")
  trace <- trace_fixture(path)
  values <- trace_values(trace)
  expect_identical(names(values)[1:4], c("X", "y", "weights_input_hidden", "weights_hidden_output"))
  expect_identical(vapply(trace$quantities, `[[`, 0, "step")[1:3], c(0, 0, 1), label = "stepwise > trace steps")
  fixture <- read_fixture(path)
  expect_identical(values$X, t(fixture$data$X), label = "stepwise > trace X (d x n)")
  expect_identical(values$y, t(fixture$data$y), label = "stepwise > trace y (1 x n)")
  expect_identical(values$weights_input_hidden, fixture$init$weights_input_hidden)
  expect_identical(dim(values$error_wrt_weights_input_hidden), c(4L, 3L),
                   label = "stepwise > dim(error_wrt_weights_input_hidden)")
  # the same numbers as the pass itself
  forward_pass <- forward_propagation(values$X, fixture$init)
  expect_identical(values[forward_names], forward_pass)
  expect_identical(values[backward_names], backward_propagation(values$X, values$y, fixture$init, forward_pass))
})

test_that("the untrained output is the walk-through's printed output to 8 decimals", {
  trace <- trace_fixture(fixture_path("stepwise"))
  expect_identical(round(as.vector(trace_values(trace)$output), 8), walkthrough_untrained_output,
                   label = "stepwise > untrained output rounded to 8 decimals")
})

test_that("trace_fixture's update of epoch K gives train_fixture's parameters after K epochs, bit for bit", {
  for (name in c("article", "stepwise", "layered-xor")) {
    path <- fixture_path(name)
    for (epoch in c(1, 3)) {
      values <- trace_values(trace_fixture(path, epoch))
      params <- train_fixture(path, epoch)$params
      updated <- values[paste0("updated.", names(params))]
      expect_identical(unname(updated), unname(params), label = paste(name, "> epoch", epoch, "> updated"))
    }
  }
})

test_that("trace_fixture refuses an epoch that is not a whole number from 1", {
  path <- fixture_path("article")
  expect_refusal(trace_fixture(path, 0), "E_HYPER", "epoch: expected a whole number from 1 to 1000000")
  expect_refusal(trace_fixture(path, 1.5), "E_HYPER", "epoch: expected a whole number from 1 to 1000000")
})

test_that("trace_fixture refuses a fixture it cannot read, with read_fixture's words", {
  dir <- local_temp_dir()
  missing <- file.path(dir, "missing.json")
  expect_refusal(trace_fixture(missing), "E_IO", paste0(missing, ": cannot read: No such file or directory"))
})
