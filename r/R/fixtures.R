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
max_depth <- 64 # nesting of arrays and objects, found by a linear scan before parsing
max_digits <- 4300 # digits in a row in a number (Python's int parsing limit)
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
  E_EXTRA = "the command needs an optional dependency that is not installed (a pip extra)"
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

#' Parse a JSON file
#'
#' Without simplification, so every value is checked as written
#' (`jsonlite::fromJSON()` would turn `true` into 1 inside a matrix). Refuses
#' a path that is not a readable regular file (a FIFO would block, a device
#' never end), and, before the parser runs, whatever [scan_json()] finds:
#' jsonlite accepts comments, `\f` and `\v` and lone surrogates, which JSON does
#' not, and would recurse over deep nesting. Duplicate keys are refused, as
#' `NaN` and `Infinity` are by the parser.
#'
#' @inheritParams read_fixture
#' @return The parsed JSON: named lists for objects, unnamed lists for arrays.
#' @keywords internal
load_json <- function(path) {
  shown <- escape(path)
  kind <- file_kind(path)
  if (kind == "missing") {
    not_dir <- grepl("/$", path) && file_kind(sub("/+$", "", path)) %in% c("regular", "special")
    fixture_error("E_IO", shown, ": cannot read: ", if (not_dir) "Not a directory" else "No such file or directory")
  }
  if (kind == "directory") fixture_error("E_IO", shown, ": cannot read: Is a directory")
  if (kind == "special") fixture_error("E_IO", shown, ": cannot read: not a regular file")
  if (file.access(path, 4) != 0) fixture_error("E_IO", shown, ": cannot read: Permission denied")
  size <- file.size(path)
  if (size > max_fixture_bytes) fixture_error("E_SIZE", shown, ": larger than ", format(max_fixture_bytes), " bytes")
  raw <- if (size > 0) readBin(path, "raw", n = size) else raw(0)
  if ((length(raw) >= 3 && identical(raw[1:3], as.raw(c(0xef, 0xbb, 0xbf)))) || any(raw == 0)) {
    fixture_error("E_ENCODING", shown, ": not UTF-8 text (a byte-order mark or a NUL byte)")
  }
  text <- rawToChar(raw)
  if (!validUTF8(text)) fixture_error("E_ENCODING", shown, ": not UTF-8 text")
  Encoding(text) <- "UTF-8"
  refusal <- scan_json(raw, text)
  if (!is.null(refusal)) fixture_error(refusal[1], shown, ": ", refusal[2])
  document <- tryCatch(
    jsonlite::parse_json(text, simplifyVector = FALSE),
    error = function(e) fixture_error("E_JSON", shown, ": not valid JSON: ", escape(first_line(conditionMessage(e))))
  )
  duplicate <- first_duplicate_key(document)
  if (!is.null(duplicate)) fixture_error("E_JSON", shown, ": not valid JSON: duplicate key '", escape(duplicate), "'")
  document
}

#' Scan JSON text before parsing it
#'
#' What a linear scan finds wrong before any parser runs: an escaped NUL or a
#' lone surrogate escape (`E_ENCODING`: jsonlite would cut or mangle the
#' string), a comment, a backslash or a `\f` or `\v` outside strings (`E_JSON`:
#' beyond RFC 8259, which jsonlite accepts), nesting deeper than 64 levels
#' (`E_DEPTH`: parsers recurse, and R inside Python has no stack check) and more
#' than 4300 digits in a row (`E_JSON`). Vector operations only, no recursion,
#' no loop over bytes: the Python twin does the same with numpy. Offsets are
#' 0-based bytes.
#'
#' @param raw The file's bytes.
#' @param text The same bytes as a UTF-8 string.
#' @return `NULL`, or `c(code, words)`.
#' @export
scan_json <- function(raw, text) {
  # Escaped backslashes first, left to right: every backslash left starts an escape.
  escapes <- gsub("\\\\", "..", text, fixed = TRUE, useBytes = TRUE)
  if (grepl("\\u0000", escapes, fixed = TRUE, useBytes = TRUE)) {
    return(c("E_ENCODING", "not UTF-8 text (a byte-order mark or a NUL byte)"))
  }
  if (grepl(lone_surrogate, escapes, perl = TRUE, useBytes = TRUE)) {
    return(c("E_ENCODING", "not UTF-8 text (a lone surrogate escape)"))
  }
  # Quotes that open or close strings: those not after an odd run of backslashes.
  backslashes <- which(raw == as.raw(0x5c))
  quotes <- which(raw == as.raw(0x22))
  if (length(backslashes) > 0) {
    breaks <- which(diff(backslashes) != 1)
    run_ends <- c(backslashes[breaks], backslashes[length(backslashes)])
    run_lengths <- run_ends - c(backslashes[1], backslashes[breaks + 1]) + 1
    k <- match(quotes - 1L, run_ends)
    quotes <- quotes[is.na(k) | run_lengths[k] %% 2 == 0]
  }
  # not a quote: outside a string when an even number of quotes comes before
  outside <- function(positions) positions[findInterval(positions, quotes) %% 2 == 0]
  foreign <- outside(byte_positions("[/\\\\\\x0b\\x0c]", text))
  if (length(foreign) > 0) {
    return(c("E_JSON", paste0("not valid JSON: unexpected character 0x", format(raw[foreign[1]]), " at offset ",
                              foreign[1] - 1L, " (JSON has no comments; its only whitespace is space, tab, ",
                              "line feed and carriage return)")))
  }
  brackets <- outside(byte_positions("[][{}]", text))
  depth <- cumsum(ifelse(raw[brackets] == as.raw(0x5b) | raw[brackets] == as.raw(0x7b), 1L, -1L))
  deep <- which(depth > max_depth)
  if (length(deep) > 0) {
    return(c("E_DEPTH", paste0("nested deeper than ", max_depth, " levels at offset ", brackets[deep[1]] - 1L)))
  }
  # starts of runs of more than max_digits digits (tried at the start of a run only: linear)
  long <- outside(byte_positions(paste0("(?<![0-9])[0-9]{", max_digits + 1, "}"), text))
  if (length(long) > 0) {
    return(c("E_JSON", paste0("not valid JSON: a number of more than ", max_digits, " digits at offset ",
                              format(long[1] - 1L, scientific = FALSE))))
  }
  NULL
}

# The 1-based byte positions where a PCRE pattern matches, left to right, as
# which() on the bytes gives them: one pass in C, without a logical vector per
# byte for each byte value looked for.
byte_positions <- function(pattern, text) {
  found <- gregexpr(pattern, text, perl = TRUE, useBytes = TRUE)[[1]]
  if (found[1] == -1L) integer(0) else as.integer(found)
}

# An escape of a high surrogate not followed by a low one, or of a low one not
# after a high one (with escaped backslashes already blanked out).
lone_surrogate <- paste0("\\\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\\\u[dD][c-fC-F][0-9a-fA-F]{2})",
                         "|(?<!\\\\u[dD][89abAB][0-9a-fA-F]{2})\\\\u[dD][c-fC-F][0-9a-fA-F]{2}")

#' Text for a one-line message
#'
#' A line feed as `\n`, every other control character or line separator as
#' `\u0007`; the same as the Python twin's `escape()`.
#'
#' @param text A string.
#' @return The string, escaped.
#' @export
escape <- function(text) {
  text <- enc2utf8(as.character(text))
  if (!validUTF8(text)) text <- iconv(text, "UTF-8", "UTF-8", sub = "byte")
  codes <- utf8ToInt(text)
  control <- codes < 0x20 | (codes >= 0x7f & codes <= 0x9f) | codes == 0x2028 | codes == 0x2029 |
    (codes >= 0xd800 & codes <= 0xdfff)
  if (!any(control)) return(text)
  pieces <- intToUtf8(codes, multiple = TRUE)
  pieces[control] <- ifelse(codes[control] == 10, "\\n", sprintf("\\u%04x", codes[control]))
  paste(pieces, collapse = "")
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

#' Train with a variant's own loop, or its fast path
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param X Input matrix, n x d.
#' @param y Target matrix, n x 1.
#' @param params Named list of initial parameters, shaped as [param_shapes()] says.
#' @param hyper List with `lr`, and `activations` for `"layered"`.
#' @param epochs Number of epochs, a whole number >= 0.
#' @param fast `TRUE` for the variant's fast path (R/fast.R: within the parity
#'   tolerance of the readable twin, not bit for bit).
#' @return A list with `params`, `loss` and `output` (n x 1).
#' @export
#' @examples
#' fixture <- read_fixture(twinnet_example("xor"))
#' fit <- train_variant("article", fixture$data$X, fixture$data$y, fixture$init,
#'                      fixture$hyper, epochs = 200)
#' fit$loss[c(1, 200)]
train_variant <- function(variant, X, y, params, hyper, epochs, fast = FALSE) {

  if (variant == "layered") {
    train_fn <- if (fast) train_layered_fast else train_layered
    return(train_fn(X, y, params, unlist(hyper$activations), epochs, hyper$lr))
  }
  train_fn <- if (variant == "stepwise") {
    if (fast) train_stepwise_fast else train_stepwise
  } else {
    if (fast) train_fast else train
  }
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
#' @param max_memory The memory budget in GiB: a run that [check_budget()]
#'   estimates to need more is refused with `E_BUDGET` before training.
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
train_fixture <- function(path, epochs = NULL, max_memory = max_memory_gib) {
  fixture <- read_fixture(path)
  hyper <- fixture$hyper
  if (is.null(epochs)) epochs <- hyper$epochs
  if (!is_whole(epochs, 0, max_epochs)) {
    fixture_error("E_HYPER", "epochs: expected a whole number from 0 to ", format(max_epochs, scientific = FALSE))
  }
  epochs <- as.integer(epochs) # a whole number up to max_epochs: no overflow
  check_budget(fixture$variant, nrow(fixture$data$X), ncol(fixture$data$X), hyper, epochs, max_memory)
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

#' Estimate what a training run costs
#'
#' Roughly: the data (X twice, as some variants transpose it), the parameters
#' three times (initial, current, gradient), eight n x units working arrays
#' (pre-activations, activations, deltas, temporaries; units counts every
#' layer's neurons, the output's too) and the loss, 8 bytes a number; and three
#' passes over every parameter for each sample and epoch. The same formula as
#' the Python twin's, so both refuse the same runs.
#'
#' @param variant `"article"`, `"stepwise"` or `"layered"`.
#' @param n,d Samples and features.
#' @param hyper The fixture's checked `hyper` list.
#' @param epochs Number of epochs.
#' @return `c(bytes, multiply-adds)`.
#' @export
estimate_cost <- function(variant, n, d, hyper, epochs) {
  parameters <- sum(vapply(param_shapes(variant, d, hyper), function(shape) prod(as.double(shape)), numeric(1)))
  units <- if (variant == "layered") sum(as.double(hyper$neurons)) else as.double(hyper$hidden) + 1
  n <- as.double(n)
  doubles <- 2 * n * d + 2 * n + 3 * parameters + 8 * n * units + epochs
  c(8 * doubles, 3 * as.double(epochs) * n * parameters)
}

#' Refuse a run past the budget
#'
#' Stops with `E_BUDGET`, before training, when [estimate_cost()] is past
#' `max_memory` GiB or 1e13 multiply-adds.
#'
#' @inheritParams estimate_cost
#' @param max_memory The memory budget in GiB.
#' @return `NULL`, invisibly, when the run fits.
#' @export
check_budget <- function(variant, n, d, hyper, epochs, max_memory = max_memory_gib) {
  if (!is_number(max_memory) || max_memory <= 0) {
    fixture_error("E_HYPER", "max_memory: expected a finite number of GiB > 0")
  }
  cost <- estimate_cost(variant, n, d, hyper, epochs)
  if (cost[1] > max_memory * 2^30) {
    fixture_error("E_BUDGET", "training needs about ", sprintf("%.1f", cost[1] / 2^30), " GiB; the limit is ",
                  sprintf("%g", max_memory), " GiB; raise it with --max-memory")
  }
  if (cost[2] > max_work) {
    fixture_error("E_BUDGET", "training needs about ", sprintf("%.1e", cost[2]), " multiply-adds, hours of ",
                  "computing; the limit is ", sprintf("%.0e", max_work), "; lower the epochs")
  }
  invisible(NULL)
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

# "missing", "directory", "regular" or "special" (a FIFO, a device, a socket),
# following symbolic links. file.info() has no file type (its mode is only the
# permissions); a FIFO or a device has size 0, so only for size 0 is stat(1)
# asked, with the path as one quoted argument. Where stat(1) cannot tell, a
# size-0 file counts as special: it is never opened.
file_kind <- function(path) {
  info <- file.info(path, extra_cols = FALSE)
  if (is.na(info$isdir)) return("missing")
  if (info$isdir) return("directory")
  if (info$size > 0) return("regular")
  type <- tryCatch(suppressWarnings(system2("stat", c("-L", "-c", "%F", "--", shQuote(path)), stdout = TRUE,
                                            stderr = FALSE)), error = function(e) character())
  if (length(type) == 1 && startsWith(type, "regular")) "regular" else "special"
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
  for (name in names(params)) { # finite but absurd: an lr of 1e308 moves nothing but the weights
    if (length(params[[name]]) > 0 && max(abs(params[[name]])) > max_magnitude) {
      fixture_error("E_DIVERGED", "params.", name, ": larger than ", sprintf("%g", max_magnitude),
                    " in magnitude after epoch ", length(loss), ": training diverged (try a smaller hyper.lr)")
    }
  }
}

fixture_error <- function(code, ...) {
  message <- paste0(...)
  stop(structure(class = c("twinnet_fixture_error", "error", "condition"),
                 list(message = paste0(code, ": ", message), code = code, call = NULL)))
}

first_line <- function(text) sub("\n.*", "", trimws(text))

# Inner objects first, as Python's parser reports the first object to close:
# a walk in post-order with a stack of its own, no recursion (the nesting is at
# most max_depth after scan_json(), but R inside Python has no stack check).
first_duplicate_key <- function(document) {
  if (!is.list(document)) return(NULL)
  # The children worth a visit: objects, and arrays that hold lists; the rows
  # of a matrix (arrays of numbers) are skipped in bulk, without a visit each.
  # Whether any element of a list is a list: unlist() keeps a list only then,
  # one pass in C (an object of a million numbers costs no call per number).
  holds_lists <- function(node) is.list(unlist(node, recursive = FALSE, use.names = FALSE))
  lists <- function(node) {
    if (!holds_lists(node)) return(integer(0))
    kids <- which(vapply(node, is.list, logical(1), USE.NAMES = FALSE))
    named <- lengths(lapply(node[kids], names)) > 0
    sizes <- lengths(node[kids])
    nested <- if (length(kids) * 8 < sum(sizes)) { # few, large children: one pass in C each
      vapply(node[kids], holds_lists, logical(1), USE.NAMES = FALSE)
    } else { # many small ones (the rows of a matrix): one pass over all their elements
      inner <- unlist(node[kids], recursive = FALSE, use.names = FALSE)
      tabulate(rep(seq_along(kids), sizes)[vapply(inner, is.list, logical(1), USE.NAMES = FALSE)],
               nbins = length(kids)) > 0
    }
    kids[named | nested]
  }
  nodes <- list(document)
  children <- list(lists(document))
  done <- 0L # children of the top node already walked
  while (length(nodes) > 0) {
    top <- length(nodes)
    if (done[top] < length(children[[top]])) {
      done[top] <- done[top] + 1L
      child <- nodes[[top]][[children[[top]][done[top]]]]
      nodes[[top + 1L]] <- child
      children[[top + 1L]] <- lists(child)
      done[top + 1L] <- 0L
    } else {
      keys <- names(nodes[[top]])
      if (!is.null(keys) && anyDuplicated(keys)) return(sort(keys[duplicated(keys)], method = "radix")[1])
      nodes[[top]] <- NULL
      children[[top]] <- NULL
      done <- done[-top]
    }
  }
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

json_string <- function(x) jsonlite::toJSON(x, auto_unbox = TRUE)

json_numbers <- function(x) {
  if (!all(is.finite(x))) stop("cannot write non-finite numbers as JSON", call. = FALSE)
  sprintf("%.17g", x)
}

json_rows <- function(m, indent) {
  rows <- apply(m, 1, function(row) paste0("[", paste(json_numbers(row), collapse = ", "), "]"))
  paste0("[\n", indent, paste(rows, collapse = paste0(",\n", indent)), "\n", substr(indent, 3, nchar(indent)), "]")
}
