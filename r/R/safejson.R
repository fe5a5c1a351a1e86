# Reading JSON that may be hostile: one linear scan, then the parser, then a duplicate-key check.
#
# Twin of python/twinnet/safejson.py. load_json() refuses, before anything
# recursive runs, what strict JSON (RFC 8259) does not allow and what would
# make a parser recurse deeply or run long: the file itself (not a regular
# file, too large), its bytes (not UTF-8), and its text (comments, lone
# surrogate escapes, nesting past max_depth, numbers past max_digits digits).
# Duplicate keys are refused after parsing, by a walk with a stack of its own:
# inside rpy2, R's C stack check is off, so nothing here recurses.
#
# Every refusal stops with a condition of class "twinnet_fixture_error" with
# a stable `code` (one of error_codes in fixtures.R) and a one-line message
# that names the file or the JSON field, the same words as in Python; escape()
# keeps such a line one line.

# Limits of what is parsed at all, the same in both languages.
max_fixture_bytes <- 16 * 1024 * 1024 # refused before parsing
max_depth <- 64 # nesting of arrays and objects, found by a linear scan before parsing
max_digits <- 4300 # digits in a row in a number (Python's int parsing limit)

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
#' @keywords internal
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
# after a high one (with escaped backslashes already blanked out). Every match
# starts with the literal \u, so the search jumps from one \u to the next (with
# the look-behind first, it tried every offset).
lone_surrogate <- paste0("\\\\u(?:[dD][89abAB][0-9a-fA-F]{2}(?!\\\\u[dD][c-fC-F][0-9a-fA-F]{2})",
                         "|[dD][c-fC-F][0-9a-fA-F]{2}",
                         "(?<!\\\\u[dD][89abAB][0-9a-fA-F]{2}\\\\u[dD][c-fC-F][0-9a-fA-F]{2}))")

#' Text for a one-line message
#'
#' A line feed as `\n`, every other control character or line separator as
#' `\u0007`; the same as the Python twin's `escape()`.
#'
#' @param text A string.
#' @return The string, escaped.
#' @keywords internal
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
