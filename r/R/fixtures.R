# Fixtures in, results out: the shared JSON files both languages read and write.
#
# Twin of python/twinnet/fixtures.py. A fixture (schema "twinnet-fixture/1",
# see shared_fixtures/schema.json) holds the data, the hyperparameters, the
# initial weights and the expected results. A result ("twinnet-result/1")
# holds what one language trained from it. jsonlite::fromJSON parses doubles
# exactly; for writing, jsonlite::toJSON keeps only 15 significant digits, so
# numbers are written with sprintf("%.17g"), which reads back bit-exactly.
#
# Bad input stops with a condition of class "twinnet_fixture_error" whose
# one-line message names the JSON field, with the same meaning as the Python
# twin's FixtureError.

fixture_schema <- "twinnet-fixture/1"
result_schema <- "twinnet-result/1"
variants <- c("article", "stepwise", "layered")
activation_names <- c("sigmoid", "tanh")

#' Read and check a fixture
#'
#' @param path Path to a `twinnet-fixture/1` JSON file.
#' @return The parsed fixture, with `data$X`, `data$y` and the `init`
#'   parameters as numeric matrices in their documented shapes.
#' @export
#' @examples
#' \dontrun{
#' fixture <- read_fixture("shared_fixtures/article.json")
#' dim(fixture$init$wh)
#' }
read_fixture <- function(path) {
  if (!file.exists(path)) fixture_error(path, ": cannot read: No such file or directory")
  if (dir.exists(path)) fixture_error(path, ": cannot read: Is a directory")
  text <- paste(readLines(path, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
  # Parsed without simplification, so every value is checked as written:
  # fromJSON's simplification would turn `true` into 1 inside a matrix and
  # accept [0.1] where a single number belongs.
  fixture <- tryCatch(
    jsonlite::parse_json(text, simplifyVector = FALSE),
    error = function(e) fixture_error(path, ": not valid JSON: ", conditionMessage(e))
  )
  if (!is.list(fixture) || is.null(names(fixture))) fixture_error("(top level): expected an object")
  check_equal(fixture, "schema", fixture_schema)
  variant <- fixture[["variant"]]
  if (!is_string(variant) || !variant %in% variants) {
    fixture_error("variant: unknown variant ", shown(variant))
  }
  if (!is_string(fixture[["name"]])) fixture_error("name: expected a string")
  hyper <- field(fixture, "hyper")
  fixture$hyper <- check_hyper(variant, hyper)
  data <- field(fixture, "data")
  X <- as_matrix(data, "data.X")
  fixture$data <- list(X = X, y = as_matrix(data, "data.y", c(nrow(X), 1)))
  init <- field(fixture, "init")
  shapes <- param_shapes(variant, ncol(X), fixture$hyper)
  check_no_extra(init, "init", names(shapes), variant)
  fixture$init <- Map(function(name, shape) as_matrix(init, paste0("init.", name), shape), names(shapes), shapes)
  fixture
}

#' Train a fixture
#'
#' Reads the fixture, trains its variant and returns a `twinnet-result/1`
#' list, ready for [write_result()].
#'
#' @param path Path to a `twinnet-fixture/1` JSON file.
#' @param epochs Optional whole number that overrides `hyper.epochs` (the
#'   fixture's `expected` values then no longer apply).
#' @return A list with `schema`, `fixture`, `language`, `params`, `loss` and
#'   `output`.
#' @export
#' @examples
#' \dontrun{
#' fit <- train_fixture("shared_fixtures/article.json")
#' fit$params$wout
#' }
train_fixture <- function(path, epochs = NULL) {
  fixture <- read_fixture(path)
  hyper <- fixture$hyper
  if (is.null(epochs)) epochs <- hyper$epochs
  if (!is_number(epochs) || epochs != round(epochs) || epochs < 0) {
    fixture_error("epochs: expected a whole number >= 0, got ", shown(epochs))
  }
  fit <- train_variant(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, hyper, epochs)
  list(
    schema = result_schema,
    fixture = fixture$name,
    language = "r",
    params = fit$params,
    loss = fit$loss,
    output = fit$output
  )
}

#' Trace one pass of a stepwise fixture
#'
#' Every intermediate of one forward and one backward pass, in the
#' walk-through's order: what a learner compares against the article.
#'
#' @param path Path to a `twinnet-fixture/1` JSON file of variant `"stepwise"`.
#' @return A named list of matrices.
#' @export
trace_fixture <- function(path) {
  fixture <- read_fixture(path)
  if (fixture$variant != "stepwise") {
    fixture_error("variant: trace needs a 'stepwise' fixture, got ", shown(fixture$variant))
  }
  trace_stepwise(fixture$data$X, fixture$data$y, fixture$init)
}

#' Parameter shapes of a variant
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param d Number of features.
#' @param hyper The fixture's checked `hyper` list.
#' @return A named list of `c(rows, columns)`, in the order the parameters are drawn.
#' @export
param_shapes <- function(variant, d, hyper) {
  if (variant == "layered") {
    sizes <- c(d, unlist(hyper$neurons))
    shapes <- list()
    for (layer in seq_along(hyper$neurons)) {
      shapes[[paste0("W", layer)]] <- c(sizes[layer + 1], sizes[layer])
      shapes[[paste0("b", layer)]] <- c(sizes[layer + 1], 1)
    }
    return(shapes)
  }
  h <- hyper$hidden
  if (variant == "stepwise") {
    return(list(weights_input_hidden = c(d, h), weights_hidden_output = c(h, 1)))
  }
  list(wh = c(d, h), bh = c(1, h), wout = c(h, 1), bout = c(1, 1))
}

#' Train with a variant's own loop
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param X Input matrix, n x d.
#' @param y Target matrix, n x 1.
#' @param params Named list of initial parameters, shaped as [param_shapes()] says.
#' @param hyper List with `lr`, and `activations` for `"layered"`.
#' @param epochs Number of epochs, a whole number >= 0.
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
train_variant <- function(variant, X, y, params, hyper, epochs) {
  if (variant == "layered") {
    return(train_layered(X, y, params, unlist(hyper$activations), epochs, hyper$lr))
  }
  train_fn <- if (variant == "stepwise") train_stepwise else train
  train_fn(X, y, params, epochs, hyper$lr)
}

#' Write a result as JSON
#'
#' Numbers are written with 17 significant digits so they read back
#' bit-exactly, through a temporary file and a rename, so an interrupted write
#' leaves the old file or none.
#'
#' @param result A list from [train_fixture()].
#' @param path Where to write.
#' @return `path`, invisibly.
#' @export
write_result <- function(result, path) {
  params <- vapply(names(result$params), function(name) {
    paste0("    \"", name, "\": ", json_rows(result$params[[name]], "      "))
  }, character(1))
  text <- paste0(
    "{\n",
    "  \"schema\": ", json_string(result$schema), ",\n",
    "  \"fixture\": ", json_string(result$fixture), ",\n",
    "  \"language\": ", json_string(result$language), ",\n",
    "  \"params\": {\n", paste(params, collapse = ",\n"), "\n  },\n",
    "  \"loss\": [", paste(json_numbers(result$loss), collapse = ", "), "],\n",
    "  \"output\": ", json_rows(result$output, "    "), "\n",
    "}\n"
  )
  tmp <- tempfile(paste0(".", basename(path), "."), tmpdir = dirname(path), fileext = ".tmp")
  on.exit(unlink(tmp))
  writeLines(text, tmp, sep = "")
  if (!file.rename(tmp, path)) stop("cannot write ", path, call. = FALSE)
  invisible(path)
}

fixture_error <- function(...) {
  message <- paste0(...)
  stop(structure(class = c("twinnet_fixture_error", "error", "condition"),
                 list(message = message, call = NULL)))
}

check_no_extra <- function(mapping, field, allowed, variant) {
  extra <- if (is.list(mapping)) sort(setdiff(names(mapping), allowed), method = "radix") else character(0)
  if (length(extra) > 0) {
    fixture_error(field, ".", extra[1], ": not a key of variant ", shown(variant))
  }
}

check_hyper <- function(variant, hyper) {
  allowed <- if (variant == "layered") c("neurons", "activations") else "hidden"
  check_no_extra(hyper, "hyper", c(allowed, "epochs", "lr"), variant)
  hyper$epochs <- whole_number(hyper, "hyper.epochs", minimum = 0)
  lr <- field(hyper, "lr", "hyper.lr")
  if (!is_number(lr) || !is.finite(lr) || lr <= 0) {
    fixture_error("hyper.lr: expected a finite number > 0, got ", shown(lr))
  }
  if (variant != "layered") {
    hyper$hidden <- whole_number(hyper, "hyper.hidden", minimum = 1)
    return(hyper)
  }
  neurons <- field(hyper, "neurons", "hyper.neurons")
  is_size <- function(size) is_number(size) && is.finite(size) && size == round(size) && size >= 1
  if (!is.list(neurons) || length(neurons) == 0 || !all(vapply(neurons, is_size, logical(1))) ||
      neurons[[length(neurons)]] != 1) {
    fixture_error("hyper.neurons: expected a list of whole numbers >= 1, one per layer, the last 1")
  }
  activations <- field(hyper, "activations", "hyper.activations")
  is_activation <- function(name) is_string(name) && name %in% activation_names
  if (!is.list(activations) || length(activations) != length(neurons) ||
      !all(vapply(activations, is_activation, logical(1)))) {
    fixture_error("hyper.activations: expected 'sigmoid' or 'tanh' for each of the ", length(neurons), " layers")
  }
  hyper$neurons <- as.integer(unlist(neurons))
  hyper
}

field <- function(mapping, key, field = key) {
  if (!is.list(mapping) || !key %in% names(mapping)) fixture_error(field, ": missing")
  mapping[[key]]
}

check_equal <- function(mapping, key, expected) {
  if (!identical(mapping[[key]], expected)) {
    fixture_error(key, ": expected ", shown(expected), ", got ", shown(mapping[[key]]))
  }
}

is_string <- function(value) is.character(value) && length(value) == 1

is_number <- function(value) is.numeric(value) && length(value) == 1 && !is.na(value)

shown <- function(value) {
  if (is.null(value)) return("None")
  text <- vapply(value, function(item) if (is.character(item)) paste0("'", item, "'") else format(item), character(1))
  if (length(value) == 1 && !is.list(value)) text else paste0("[", paste(text, collapse = ", "), "]")
}

whole_number <- function(mapping, field, minimum) {
  value <- field(mapping, sub(".*\\.", "", field), field)
  if (!is_number(value) || !is.finite(value) || value != round(value) || value < minimum ||
      value > .Machine$integer.max) {
    fixture_error(field, ": expected a whole number >= ", minimum, ", got ", shown(value))
  }
  as.integer(value)
}

# A list of equal-length rows of finite numbers, as a double matrix, row for
# row (JSON lists of rows are row-major; byrow = TRUE keeps them so).
as_matrix <- function(mapping, field, shape = NULL) {
  rows <- field(mapping, sub(".*\\.", "", field), field)
  is_row <- function(row) is.list(row) && is.null(names(row)) && length(row) > 0 && length(row) == length(rows[[1]])
  if (!is.list(rows) || !is.null(names(rows)) || length(rows) == 0 || !all(vapply(rows, is_row, logical(1)))) {
    fixture_error(field, ": expected a non-empty list of equal-length rows")
  }
  values <- unlist(rows, recursive = FALSE)
  is_finite_number <- function(value) is.numeric(value) && length(value) == 1 && is.finite(value)
  if (!all(vapply(values, is_finite_number, logical(1)))) fixture_error(field, ": expected finite numbers only")
  rows <- matrix(as.double(unlist(values)), nrow = length(rows), byrow = TRUE)
  if (!is.null(shape) && !identical(dim(rows), as.integer(shape))) {
    fixture_error(field, ": expected ", shape[1], "x", shape[2], ", got ", nrow(rows), "x", ncol(rows))
  }
  rows
}

json_string <- function(x) jsonlite::toJSON(x, auto_unbox = TRUE)

json_numbers <- function(x) {
  if (!all(is.finite(x))) stop("cannot write non-finite numbers as JSON", call. = FALSE)
  sprintf("%.17g", x)
}

json_rows <- function(m, indent) {
  rows <- apply(m, 1, function(row) paste0("[", paste(json_numbers(row), collapse = ", "), "]"))
  paste0("[\n", indent, paste(rows, collapse = paste0(",\n", indent)), "\n", substr(indent, 3, nchar(indent)), "]")
}
