# Fixtures: finding them, reading them, and checking them against the rules both languages share.
#
# Twin of python/twinnet/fixtures.py. A fixture (schema "twinnet-fixture/1",
# see shared_fixtures/schema.json) holds the data, the hyperparameters, the
# initial weights and the expected results. read_fixture() parses one with
# load_json() (safejson.R) and checks it with check_fixture(); training it is
# training.R's job, writing a result results.R's.
#
# Bad input stops with a condition of class "twinnet_fixture_error" (see
# fixture_error() in safejson.R) with a stable `code` (one of error_codes, the
# same as the Python twin's ERROR_CODES) and a one-line message that names the
# JSON path, the same words as in Python.

#' @include safejson.R
NULL

fixture_schema <- "twinnet-fixture/1"
result_schema <- "twinnet-result/1"
variants <- c("article", "stepwise", "layered")
activation_names <- c("sigmoid", "tanh")

# Limits on what a fixture may ask for, the same in both languages (those of
# the JSON text itself, max_fixture_bytes, max_depth and max_digits, are in
# safejson.R, collated first: error_codes names them).
max_epochs <- 1000000
max_neurons <- 4096 # hidden units in any layer
max_layers <- 16 # layered variant
max_memory_gib <- 2 # default memory budget of one training run
max_work <- 1e13 # multiply-adds of one training run: hours of computing
max_magnitude <- 1e150 # a parameter past this has diverged; data past it is refused
top_level_keys <- c("schema", "name", "description", "variant", "generator", "data", "hyper", "init", "expected")

# Every refusal has one of these codes; the Python twin uses the same ones.
error_codes <- c(
  E_IO = "the file cannot be read, or is not a regular file (a FIFO, a device, a directory)",
  E_SIZE = paste0("the file is larger than ", max_fixture_bytes, " bytes"),
  E_ENCODING = "the file is not UTF-8 (or has a byte-order mark, a NUL byte or a lone surrogate escape)",
  E_JSON = "the file is not valid JSON (NaN, Infinity and comments are not JSON; keys must be unique)",
  E_DEPTH = paste0("arrays and objects are nested deeper than ", max_depth, " levels"),
  E_SCHEMA = "a key is missing, unexpected, or of the wrong kind; or schema is not twinnet-fixture/1",
  E_VARIANT = "variant names no known variant",
  E_HYPER = "a hyperparameter is out of range",
  E_SHAPE = "a matrix is empty, ragged, or has the wrong shape",
  E_VALUE = "a matrix holds something other than finite numbers, or y lies outside [0, 1]",
  E_BUDGET = "training would need more memory or time than the budget allows",
  E_DIVERGED = paste0("training produced a non-finite loss, or a parameter past ", format(max_magnitude),
                      " in magnitude"),
  E_OUTPUT = "the output path is refused (a fixture, under shared_fixtures/, not a regular file) or cannot be written",
  E_CHECKOUT = "the command needs the source tree: run it in a clone of the repository",
  E_EXTRA = "the command needs an optional dependency that is not installed (a pip extra)",
  E_USAGE = "a command-line argument, a setting (TWINNET_THREADS) or an argument of a function is not valid"
)

#' The fixture files in a directory
#'
#' @param directory A directory, such as the repository's `shared_fixtures/`.
#' @return Every `*.json` file in it except the JSON Schemas, sorted.
#' @keywords internal
fixture_paths <- function(directory) {
  paths <- sort(list.files(directory, pattern = "\\.json$", full.names = TRUE), method = "radix")
  paths[!endsWith(basename(paths), "schema.json")]
}

#' Paths to the fixtures installed with twinnet
#'
#' twinnet ships the fixtures shared by its Python and R twins (the
#' repository's `shared_fixtures/`) in its `extdata` folder. Like
#' `readr::readr_example()`: called without a name it lists them; with a name
#' it returns that fixture's installed path.
#'
#' @param name `NULL` (the default) to list the fixtures, or one fixture's
#'   name, such as `"article"` (a character string).
#' @return A character vector of fixture names, or one file path.
#' @export
#' @examples
#' twinnet_example()
#' twinnet_example("article")
twinnet_example <- function(name = NULL) {
  dir <- system.file("extdata", package = "twinnet", mustWork = TRUE)
  names <- sub("\\.json$", "", basename(fixture_paths(dir)))
  if (is.null(name)) return(names)
  if (!is_string(name) || !name %in% names) {
    fixture_error("E_IO", "no packaged fixture named ", if (is_string(name)) sQuote(name, FALSE) else kind(name),
                  "; the packaged fixtures are: ", paste(names, collapse = ", "))
  }
  file.path(dir, paste0(name, ".json"))
}

#' Read and check a fixture
#'
#' Refuses, in this order, an unreadable file or one that is not a regular
#' file (`E_IO`), one over 16 MiB (`E_SIZE`), bytes that are not UTF-8
#' (`E_ENCODING`), text beyond strict JSON (`E_JSON`) or nested deeper than 64
#' levels (`E_DEPTH`), text that is not JSON (`E_JSON`), then anything that breaks the fixture rules (`E_SCHEMA`,
#' `E_VARIANT`, `E_HYPER`, `E_SHAPE`, `E_VALUE`). The error is a condition of
#' class `twinnet_fixture_error` with fields `code` and `message`.
#'
#' @param path Path to a `twinnet-fixture/1` JSON file.
#' @return The parsed fixture, with `data$X`, `data$y` and the `init`
#'   parameters as numeric matrices in their documented shapes.
#' @export
#' @examples
#' fixture <- read_fixture(twinnet_example("article"))
#' dim(fixture$init$wh)
#' fixture$hyper$lr
read_fixture <- function(path) {
  check_fixture(load_json(path))
}

#' Check a parsed fixture
#'
#' The rules both languages share, in the same order.
#'
#' @param fixture A fixture as parsed by [load_json()].
#' @return The fixture with `data` and `init` as numeric matrices.
#' @keywords internal
check_fixture <- function(fixture) {
  if (!is_object(fixture)) fixture_error("E_SCHEMA", "(top level): expected an object, got ", kind(fixture))
  schema <- field(fixture, "schema", "schema")
  if (!identical(schema, fixture_schema)) {
    fixture_error("E_SCHEMA", "schema: expected '", fixture_schema, "', got ", kind(schema))
  }
  unknown <- sort(setdiff(names(fixture), top_level_keys), method = "radix")
  if (length(unknown) > 0) { # schema.json: additionalProperties false
    fixture_error("E_SCHEMA", escape(unknown[1]), ": not a key of ", fixture_schema)
  }
  if (!is_string(field(fixture, "name", "name"))) {
    fixture_error("E_SCHEMA", "name: expected a string, got ", kind(fixture[["name"]]))
  }
  variant <- field(fixture, "variant", "variant")
  if (!is_string(variant) || !variant %in% variants) {
    fixture_error("E_VARIANT", "variant: expected 'article', 'stepwise' or 'layered', got ", kind(variant))
  }
  fixture$hyper <- check_hyper(variant, object(fixture, "hyper"))
  data <- object(fixture, "data")
  check_no_extra(data, "data", c("X", "y"), variant)
  X <- as_matrix(data, "X", "data.X")
  big <- which(t(abs(X) > max_magnitude))[1] # t(): row by row, as Python; X %*% W would overflow or not by BLAS
  if (!is.na(big)) {
    fixture_error("E_VALUE", "data.X[", (big - 1) %/% ncol(X), "][", (big - 1) %% ncol(X),
                  "]: expected a magnitude of at most ", sprintf("%g", max_magnitude))
  }
  y <- as_matrix(data, "y", "data.y", c(nrow(X), 1))
  outside <- which(y < 0 | y > 1)
  if (length(outside) > 0) {
    fixture_error("E_VALUE", "data.y[", outside[1] - 1, "][0]: expected a value from 0 to 1")
  }
  fixture$data <- list(X = X, y = y)
  init <- object(fixture, "init")
  shapes <- param_shapes(variant, ncol(X), fixture$hyper)
  check_no_extra(init, "init", names(shapes), variant)
  fixture$init <- Map(function(name, shape) as_matrix(init, name, paste0("init.", name), shape),
                      names(shapes), shapes)
  fixture
}

#' Parameter shapes of a variant
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param d Number of features.
#' @param hyper The fixture's checked `hyper` list.
#' @return A named list of `c(rows, columns)`, in the order the parameters are drawn.
#' @keywords internal
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

# parse_json gives a named list for a JSON object (names(list()) is
# character(0) for {}), an unnamed list for an array.
is_object <- function(value) is.list(value) && !is.null(names(value))

is_array <- function(value) is.list(value) && is.null(names(value))

is_string <- function(value) is.character(value) && length(value) == 1

is_number <- function(value) is.numeric(value) && length(value) == 1 && is.finite(value)

is_whole <- function(value, minimum, maximum) {
  is_number(value) && value == round(value) && value >= minimum && value <= maximum
}

# How a refused value is named in messages: the same words as in Python.
kind <- function(value) {
  if (is.null(value)) return("null")
  if (is.logical(value) && length(value) == 1) return(if (isTRUE(value)) "true" else "false")
  if (is_string(value)) { # control characters and line breaks escaped: messages stay one line
    return(paste0("'", escape(value), "'"))
  }
  if (is.numeric(value) && length(value) == 1) return(if (is.finite(value)) "a number" else "a non-finite number")
  if (is_object(value)) "an object" else "a list"
}

field <- function(mapping, key, field) {
  if (!key %in% names(mapping)) fixture_error("E_SCHEMA", field, ": missing")
  mapping[[key]]
}

object <- function(mapping, key) {
  value <- field(mapping, key, key)
  if (!is_object(value)) fixture_error("E_SCHEMA", key, ": expected an object, got ", kind(value))
  value
}

check_no_extra <- function(mapping, field, allowed, variant) {
  extra <- sort(setdiff(names(mapping), allowed), method = "radix")
  if (length(extra) > 0) {
    fixture_error("E_SCHEMA", field, ".", escape(extra[1]), ": not a key of variant '", variant, "'")
  }
}

check_hyper <- function(variant, hyper) {
  allowed <- if (variant == "layered") c("neurons", "activations") else "hidden"
  check_no_extra(hyper, "hyper", c(allowed, "epochs", "lr"), variant)
  if (!is_whole(field(hyper, "epochs", "hyper.epochs"), 0, max_epochs)) {
    fixture_error("E_HYPER", "hyper.epochs: expected a whole number from 0 to ", format(max_epochs, scientific = FALSE))
  }
  lr <- field(hyper, "lr", "hyper.lr")
  if (!is_number(lr) || lr <= 0) fixture_error("E_HYPER", "hyper.lr: expected a finite number > 0")
  hyper$epochs <- as.integer(hyper$epochs)
  if (variant != "layered") {
    if (!is_whole(field(hyper, "hidden", "hyper.hidden"), 1, max_neurons)) {
      fixture_error("E_HYPER", "hyper.hidden: expected a whole number from 1 to ", max_neurons)
    }
    hyper$hidden <- as.integer(hyper$hidden)
    return(hyper)
  }
  neurons <- field(hyper, "neurons", "hyper.neurons")
  if (!is_array(neurons) || length(neurons) < 1 || length(neurons) > max_layers ||
      !is_whole(neurons[[length(neurons)]], 1, 1) ||
      !all(vapply(neurons, is_whole, logical(1), minimum = 1, maximum = max_neurons))) {
    fixture_error("E_HYPER", "hyper.neurons: expected 1 to ", max_layers, " whole numbers from 1 to ",
                  max_neurons, ", one per layer, the last 1")
  }
  activations <- field(hyper, "activations", "hyper.activations")
  is_activation <- function(name) is_string(name) && name %in% activation_names
  if (!is_array(activations) || length(activations) != length(neurons) ||
      !all(vapply(activations, is_activation, logical(1)))) {
    fixture_error("E_HYPER", "hyper.activations: expected 'sigmoid' or 'tanh' for each of the ",
                  length(neurons), " layers")
  }
  if (activations[[length(activations)]] != "sigmoid") {
    fixture_error("E_HYPER", "hyper.activations: the last layer feeds the log-loss, so it must be 'sigmoid'")
  }
  hyper$neurons <- as.integer(unlist(neurons))
  hyper$activations <- unlist(activations)
  hyper
}

# A non-empty list of equal-length, non-empty rows of finite numbers, as a
# double matrix row for row (JSON lists of rows are row-major, hence byrow);
# the first fault found, row by row, names its 0-based index as Python does.
as_matrix <- function(mapping, key, field, shape = NULL) {
  rows <- field(mapping, key, field)
  if (!is_array(rows) || length(rows) == 0) {
    fixture_error("E_SHAPE", field, ": expected a non-empty list of rows, got ", kind(rows))
  }
  # Every row first, then every value row by row; the first one wrong is named.
  # Vector operations, not a loop per value: X may have millions of them.
  sizes <- lengths(rows)
  # is_array() of each row, without an R call per row: a non-empty object has names
  not_row <- !vapply(rows, is.list, logical(1), USE.NAMES = FALSE) | lengths(lapply(rows, names)) > 0 | sizes == 0
  i <- which(not_row | sizes != sizes[1])[1]
  if (!is.na(i)) {
    if (not_row[i]) {
      fixture_error("E_SHAPE", field, "[", i - 1, "]: expected a non-empty list of numbers, got ", kind(rows[[i]]))
    }
    fixture_error("E_SHAPE", field, "[", i - 1, "]: expected ", sizes[1], " numbers, got ", sizes[i])
  }
  cells <- do.call(c, rows) # row by row; a null stays a cell
  number <- vapply(cells, is.numeric, logical(1), USE.NAMES = FALSE) & lengths(cells) == 1
  number[number] <- is.finite(unlist(cells[number], use.names = FALSE))
  k <- which(!number)[1]
  if (!is.na(k)) {
    fixture_error("E_VALUE", field, "[", (k - 1) %/% sizes[1], "][", (k - 1) %% sizes[1],
                  "]: expected a finite number, got ", kind(cells[[k]]))
  }
  values <- matrix(as.double(unlist(rows)), nrow = length(rows), byrow = TRUE)
  if (!is.null(shape) && !identical(dim(values), as.integer(shape))) {
    fixture_error("E_SHAPE", field, ": expected ", shape[1], "x", shape[2], ", got ", nrow(values), "x", ncol(values))
  }
  values
}
