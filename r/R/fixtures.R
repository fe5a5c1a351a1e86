# Fixtures in, results out: the shared JSON files both languages read and write.
#
# Twin of python/twinnet/fixtures.py. A fixture (schema "twinnet-fixture/1",
# see shared_fixtures/schema.json) holds the data, the hyperparameters, the
# initial weights and the expected results. A result ("twinnet-result/1")
# holds what one language trained from it. jsonlite::fromJSON parses doubles
# exactly; for writing, jsonlite::toJSON keeps only 15 significant digits, so
# numbers are written with sprintf("%.17g"), which reads back bit-exactly.
#
# Bad input stops with a condition of class "twinnet_fixture_error" with a
# stable `code` (one of error_codes, the same as the Python twin's ERROR_CODES) and a
# one-line message that names the JSON path, the same words as in Python.

fixture_schema <- "twinnet-fixture/1"
result_schema <- "twinnet-result/1"
variants <- c("article", "stepwise", "layered")
activation_names <- c("sigmoid", "tanh")

# Limits on what a fixture may ask for, the same in both languages.
max_fixture_bytes <- 16 * 1024 * 1024 # refused before parsing
max_epochs <- 1000000
max_neurons <- 4096 # hidden units in any layer
max_layers <- 16 # layered variant

# Every refusal has one of these codes; the Python twin uses the same ones.
error_codes <- c(
  E_IO = "the file cannot be read",
  E_SIZE = paste0("the file is larger than ", max_fixture_bytes, " bytes"),
  E_ENCODING = "the file is not UTF-8 (or has a byte-order mark or a NUL byte)",
  E_JSON = "the file is not valid JSON (NaN and Infinity are not JSON; keys must be unique)",
  E_SCHEMA = "a key is missing, unexpected, or of the wrong kind; or schema is not twinnet-fixture/1",
  E_VARIANT = "variant names no known variant",
  E_HYPER = "a hyperparameter is out of range",
  E_SHAPE = "a matrix is empty, ragged, or has the wrong shape",
  E_VALUE = "a matrix holds something other than finite numbers, or y lies outside [0, 1]",
  E_DIVERGED = "training produced a non-finite loss or parameter",
  E_OUTPUT = "the output path is refused (a fixture, or under shared_fixtures/)",
  E_CHECKOUT = "the command needs the source tree: run it in a clone of the repository"
)

#' The fixture files in a directory
#'
#' @param directory A directory, such as the repository's `shared_fixtures/`.
#' @return Every `*.json` file in it except the JSON Schemas, sorted.
#' @export
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
#' Refuses, in this order, an unreadable file (`E_IO`), one over 16 MiB
#' (`E_SIZE`), bytes that are not UTF-8 (`E_ENCODING`), text that is not JSON
#' (`E_JSON`), then anything that breaks the fixture rules (`E_SCHEMA`,
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

#' Parse a JSON file
#'
#' Without simplification, so every value is checked as written
#' (`jsonlite::fromJSON()` would turn `true` into 1 inside a matrix). Duplicate
#' keys are refused, as `NaN` and `Infinity` are by the parser.
#'
#' @inheritParams read_fixture
#' @return The parsed JSON: named lists for objects, unnamed lists for arrays.
#' @keywords internal
load_json <- function(path) {
  size <- file.size(path)
  if (is.na(size) || dir.exists(path)) {
    reason <- if (dir.exists(path)) "Is a directory" else "No such file or directory"
    fixture_error("E_IO", path, ": cannot read: ", reason)
  }
  if (file.access(path, 4) != 0) fixture_error("E_IO", path, ": cannot read: Permission denied")
  if (size > max_fixture_bytes) fixture_error("E_SIZE", path, ": larger than ", format(max_fixture_bytes), " bytes")
  raw <- readBin(path, "raw", n = size)
  if ((length(raw) >= 3 && identical(raw[1:3], as.raw(c(0xef, 0xbb, 0xbf)))) || any(raw == 0)) {
    fixture_error("E_ENCODING", path, ": not UTF-8 text (a byte-order mark or a NUL byte)")
  }
  text <- rawToChar(raw)
  if (!validUTF8(text)) fixture_error("E_ENCODING", path, ": not UTF-8 text")
  # an escaped NUL: jsonlite would cut the string there
  if (grepl("(?<!\\\\)(?:\\\\\\\\)*\\\\u0000", text, perl = TRUE)) {
    fixture_error("E_ENCODING", path, ": not UTF-8 text (a byte-order mark or a NUL byte)")
  }
  Encoding(text) <- "UTF-8"
  document <- tryCatch(
    jsonlite::parse_json(text, simplifyVector = FALSE),
    error = function(e) fixture_error("E_JSON", path, ": not valid JSON: ", first_line(conditionMessage(e)))
  )
  duplicate <- first_duplicate_key(document)
  if (!is.null(duplicate)) fixture_error("E_JSON", path, ": not valid JSON: duplicate key '", duplicate, "'")
  document
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
#' @examples
#' fixture <- read_fixture(twinnet_example("xor"))
#' fit <- train_variant("article", fixture$data$X, fixture$data$y, fixture$init,
#'                      fixture$hyper, epochs = 200)
#' fit$loss[c(1, 200)]
train_variant <- function(variant, X, y, params, hyper, epochs) {
  if (variant == "layered") {
    return(train_layered(X, y, params, unlist(hyper$activations), epochs, hyper$lr))
  }
  train_fn <- if (variant == "stepwise") train_stepwise else train
  train_fn(X, y, params, epochs, hyper$lr)
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
#' fit <- train_fixture(twinnet_example("article"))
#' fit$params$wout
#' tail(fit$loss, 1)
#'
#' # the Python twin's result, shipped in the fixture: equal within 1e-12
#' expected <- read_fixture(twinnet_example("article"))$expected
#' max(abs(fit$params$wout - unlist(expected$params$wout)))
train_fixture <- function(path, epochs = NULL) {
  fixture <- read_fixture(path)
  hyper <- fixture$hyper
  if (is.null(epochs)) epochs <- hyper$epochs
  if (!is_whole(epochs, 0, max_epochs)) {
    fixture_error("E_HYPER", "epochs: expected a whole number from 0 to ", format(max_epochs, scientific = FALSE))
  }
  fit <- train_variant(fixture$variant, fixture$data$X, fixture$data$y, fixture$init, hyper, epochs)
  check_converging(fit$loss, fit$params)
  list(
    schema = result_schema,
    fixture = fixture$name,
    language = "r",
    params = fit$params,
    loss = fit$loss,
    output = fit$output
  )
}

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

#' Refuse an output path
#'
#' Stops with `E_OUTPUT` for a path anywhere under a directory named
#' `shared_fixtures`, for an existing file that is a fixture, or for a path
#' in a missing directory.
#'
#' @param path Where a result would be written.
#' @return `path`, invisibly, when it may be written.
#' @keywords internal
check_output_path <- function(path) {
  if (!dir.exists(dirname(path))) fixture_error("E_OUTPUT", path, ": cannot write: No such directory")
  parent <- normalizePath(dirname(path), mustWork = FALSE)
  if ("shared_fixtures" %in% strsplit(parent, "/", fixed = TRUE)[[1]]) {
    fixture_error("E_OUTPUT", path, ": refusing to write under shared_fixtures/")
  }
  if (file.exists(path) && !dir.exists(path)) {
    document <- tryCatch(load_json(path), twinnet_fixture_error = function(e) NULL)
    if (is_object(document) && identical(document[["schema"]], fixture_schema)) {
      fixture_error("E_OUTPUT", path, ": refusing to overwrite a fixture")
    }
  }
  invisible(path)
}

#' Write a result as JSON
#'
#' Numbers are written with 17 significant digits so they read back
#' bit-exactly, through a temporary file and a rename, so an interrupted write
#' leaves the old file or none. Refuses the paths [check_output_path()] refuses.
#'
#' @param result A list from [train_fixture()].
#' @param path Where to write.
#' @return `path`, invisibly.
#' @export
#' @examples
#' fit <- train_fixture(twinnet_example("xor"), epochs = 10)
#' path <- tempfile(fileext = ".json")
#' write_result(fit, path)
#' readLines(path, n = 4)
#' unlink(path)
write_result <- function(result, path) {
  check_output_path(path)
  text <- dumps(result)
  tmp <- tempfile(paste0(".", basename(path), "."), tmpdir = dirname(path), fileext = ".tmp")
  on.exit(unlink(tmp))
  writeLines(text, tmp, sep = "")
  if (!file.rename(tmp, path)) stop("cannot write ", path, call. = FALSE)
  invisible(path)
}

#' Deterministic JSON text of a result
#'
#' What [write_result()] writes: one key a line, matrices one row a line,
#' every double as `sprintf("%.17g")`, which reads back bit-exactly. (The
#' Python twin's `dumps()` writes any document; R only writes results.)
#'
#' @param result A list from [train_fixture()].
#' @return The JSON text, one string ending in a newline.
#' @export
dumps <- function(result) {
  params <- vapply(names(result$params), function(name) {
    paste0("    \"", name, "\": ", json_rows(result$params[[name]], "      "))
  }, character(1))
  paste0(
    "{\n",
    "  \"schema\": ", json_string(result$schema), ",\n",
    "  \"fixture\": ", json_string(result$fixture), ",\n",
    "  \"language\": ", json_string(result$language), ",\n",
    "  \"params\": {\n", paste(params, collapse = ",\n"), "\n  },\n",
    "  \"loss\": [", paste(json_numbers(result$loss), collapse = ", "), "],\n",
    "  \"output\": ", json_rows(result$output, "    "), "\n",
    "}\n"
  )
}

check_converging <- function(loss, params) {
  bad <- which(!is.finite(loss))
  if (length(bad) > 0) {
    fixture_error("E_DIVERGED", "loss[", bad[1] - 1, "]: not finite: training diverged at epoch ", bad[1],
                  " (try a smaller hyper.lr)")
  }
  for (name in names(params)) {
    if (!all(is.finite(params[[name]]))) {
      fixture_error("E_DIVERGED", "params.", name, ": not finite after epoch ", length(loss),
                    ": training diverged (try a smaller hyper.lr)")
    }
  }
}

fixture_error <- function(code, ...) {
  message <- paste0(...)
  stop(structure(class = c("twinnet_fixture_error", "error", "condition"),
                 list(message = paste0(code, ": ", message), code = code, call = NULL)))
}

first_line <- function(text) sub("\n.*", "", trimws(text))

# Inner objects first, as Python's parser reports the first object to close.
first_duplicate_key <- function(node) {
  if (!is.list(node)) return(NULL)
  for (child in node) {
    duplicate <- first_duplicate_key(child)
    if (!is.null(duplicate)) return(duplicate)
  }
  keys <- names(node)
  if (!is.null(keys) && anyDuplicated(keys)) return(sort(keys[duplicated(keys)], method = "radix")[1])
  NULL
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
  if (is_string(value)) { # control characters and line breaks as "?": messages stay one line
    return(paste0("'", gsub("[\u0001-\u001f\u007f\u0085\u2028\u2029]", "?", value), "'"))
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
  if (length(extra) > 0) fixture_error("E_SCHEMA", field, ".", extra[1], ": not a key of variant '", variant, "'")
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
  for (i in seq_along(rows)) {
    row <- rows[[i]]
    if (!is_array(row) || length(row) == 0) {
      fixture_error("E_SHAPE", field, "[", i - 1, "]: expected a non-empty list of numbers, got ", kind(row))
    }
    if (length(row) != length(rows[[1]])) {
      fixture_error("E_SHAPE", field, "[", i - 1, "]: expected ", length(rows[[1]]), " numbers, got ", length(row))
    }
  }
  for (i in seq_along(rows)) {
    for (j in seq_along(rows[[i]])) {
      if (!is_number(rows[[i]][[j]])) {
        fixture_error("E_VALUE", field, "[", i - 1, "][", j - 1, "]: expected a finite number, got ",
                      kind(rows[[i]][[j]]))
      }
    }
  }
  values <- matrix(as.double(unlist(rows)), nrow = length(rows), byrow = TRUE)
  if (!is.null(shape) && !identical(dim(values), as.integer(shape))) {
    fixture_error("E_SHAPE", field, ": expected ", shape[1], "x", shape[2], ", got ", nrow(values), "x", ncol(values))
  }
  values
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
