# Writing files: the one checked, atomic writer every file twinnet writes goes through.
#
# Twin of python/twinnet/results.py. A result ("twinnet-result/1") holds what
# one language trained from a fixture; dumps() writes it with every double as
# sprintf("%.17g") (jsonlite's toJSON keeps only 15 significant digits), which
# reads back bit-exactly. write_atomic() writes through a temporary file and a
# rename, after check_output_path() has refused the paths twinnet must never
# write: a fixture, anything under shared_fixtures/, something that is not a
# regular file. A refusal is one line, E_OUTPUT.

#' Refuse an output path
#'
#' Stops with `E_OUTPUT` for a path anywhere under a directory named
#' `shared_fixtures`, for an existing file that is a fixture (a symbolic link
#' is followed: one to a fixture is refused too), for anything
#' that is not a regular file (a device, a FIFO, a directory), or for a path
#' whose directory is missing or cannot be written in.
#'
#' @param path Where a result would be written.
#' @return `path`, invisibly, when it may be written.
#' @keywords internal
check_output_path <- function(path) {
  shown <- escape(path)
  if (!nzchar(path) || grepl("/$", path)) fixture_error("E_OUTPUT", shown, ": cannot write: not a file name")
  if (!dir.exists(dirname(path))) fixture_error("E_OUTPUT", shown, ": cannot write: No such directory")
  parent <- normalizePath(dirname(path), mustWork = FALSE)
  target <- normalizePath(path, mustWork = FALSE) # a symbolic link is followed
  if ("shared_fixtures" %in% c(strsplit(parent, "/", fixed = TRUE)[[1]], strsplit(target, "/", fixed = TRUE)[[1]])) {
    fixture_error("E_OUTPUT", shown, ": refusing to write under shared_fixtures/")
  }
  check_replaceable(path, shown)
  if (file.access(dirname(path), 3) != 0) {
    fixture_error("E_OUTPUT", shown, ": cannot write: its directory is not writable")
  }
  if (file_kind(path) == "regular") {
    document <- tryCatch(load_json(path), twinnet_fixture_error = function(e) NULL)
    if (is_object(document) && identical(document[["schema"]], fixture_schema)) {
      fixture_error("E_OUTPUT", shown, ": refusing to overwrite a fixture")
    }
  }
  invisible(path)
}

#' Write a file atomically
#'
#' The one writer for every file twinnet writes: the path is checked first
#' ([check_output_path()]) and again at the rename; the bytes go to a
#' temporary file (`.NAME.twinnet-XXXX.tmp`, hidden) that is renamed over
#' `path`, so an interrupted write leaves the old file or none. Stops with
#' `E_OUTPUT` when the file cannot be written (a full disk shows at the close).
#' The file gets mode 0644 less the umask.
#'
#' @param path Where to write.
#' @param text A character vector (pasted together and written as UTF-8) or a
#'   raw vector.
#' @return `path`, invisibly.
#' @keywords internal
write_atomic <- function(path, text) {
  check_output_path(path)
  shown <- escape(path)
  bytes <- if (is.raw(text)) text else charToRaw(enc2utf8(paste(text, collapse = "")))
  prefix <- paste0(".", substr(basename(path), 1, 100), ".twinnet-")
  tmp <- tempfile(prefix, tmpdir = dirname(path), fileext = ".tmp")
  on.exit(unlink(tmp))
  failed <- function(e) { # R's warning ends in the system's words: "cannot open file '...': Permission denied"
    reason <- trimws(sub(".*: ", "", first_line(conditionMessage(e))))
    fixture_error("E_OUTPUT", shown, ": cannot write: ", escape(reason))
  }
  connection <- tryCatch(file(tmp, "wb"), warning = failed, error = failed)
  # The first problem is kept while writing and closing go on to the end, so
  # the connection is always closed (a full disk may show only at the close).
  problem <- NULL
  keep <- function(condition) if (is.null(problem)) problem <<- condition
  for (step in list(function() writeBin(bytes, connection), function() close(connection))) {
    withCallingHandlers(tryCatch(step(), error = keep),
                        warning = function(w) {
                          keep(w)
                          invokeRestart("muffleWarning")
                        })
  }
  if (!is.null(problem)) failed(problem)
  if (!identical(file.size(tmp), as.double(length(bytes)))) {
    fixture_error("E_OUTPUT", shown, ": cannot write: short write (is the disk full?)")
  }
  Sys.chmod(tmp, "644", use_umask = TRUE)
  check_replaceable(path, shown) # again: the path may have changed meanwhile
  renamed <- tryCatch(file.rename(tmp, path), warning = failed, error = failed)
  if (!renamed) fixture_error("E_OUTPUT", shown, ": cannot write: the rename failed")
  invisible(path)
}


#' Write a result as JSON
#'
#' Numbers are written with 17 significant digits so they read back
#' bit-exactly, through a temporary file (`.NAME.twinnet-XXXX.tmp`, hidden,
#' not `*.json`) and a rename, so an interrupted write leaves the old file or
#' none ([write_atomic()]). Refuses the paths [check_output_path()] refuses,
#' checks the path again at the rename, and stops with `E_OUTPUT` when the
#' file cannot be written. The result gets mode 0644 less the umask.
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
  write_atomic(path, dumps(result))
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

# E_OUTPUT unless `path` is missing or a regular file (a symbolic link is
# followed: one to /dev/null is refused).
check_replaceable <- function(path, shown) {
  kind <- file_kind(path)
  if (kind != "missing" && kind != "regular") {
    fixture_error("E_OUTPUT", shown, ": refusing to replace something that is not a regular file")
  }
}
