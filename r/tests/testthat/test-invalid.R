# The invalid-fixture corpus, shared_fixtures/invalid/: every file must be
# refused by read_fixture() with the code its manifest entry gives (also the
# start of its file name) and, where the manifest has a message, with exactly
# "CODE: message". The Python twin runs the same corpus: error parity.

invalid_dir <- function() file.path(fixtures_dir(), "invalid")

invalid_manifest <- function() {
  jsonlite::fromJSON(file.path(invalid_dir(), "manifest.json"), simplifyVector = FALSE)
}

test_that("the invalid corpus has at least 25 files, every one in the manifest, once", {
  manifest <- invalid_manifest()
  expect_identical(manifest$schema, "twinnet-invalid-corpus/1")
  files <- sort(setdiff(list.files(invalid_dir(), all.files = TRUE, no.. = TRUE), "manifest.json"))
  listed <- vapply(manifest$cases, function(case) case$file, character(1))
  expect_gte(length(files), 25)
  expect_setequal(listed, files)
  expect_false(anyDuplicated(listed) > 0, label = "a file listed twice")
})

test_that("every manifest entry has a known code, the start of its file name", {
  for (case in invalid_manifest()$cases) {
    expect_true(case$code %in% names(error_codes), label = paste0(case$file, " > code ", case$code, " is known"))
    expect_true(startsWith(case$file, paste0(case$code, "-")), label = paste0(case$file, " > starts with its code"))
    expect_true(is.null(case$message) || (is.character(case$message) && length(case$message) == 1),
                label = paste0(case$file, " > message is null or one string"))
    expect_true(is.character(case$description) && nzchar(case$description),
                label = paste0(case$file, " > has a description"))
  }
})

for (case in invalid_manifest()$cases) {
  test_that(paste0("invalid/", case$file, " is refused with ", case$code, ": ", case$description), {
    path <- file.path(invalid_dir(), case$file)
    if (is.null(case$message)) {
      # the message depends on the parser and the path: the code, the path
      # and one line
      expect_fixture_error(path, case$code, paste0(path, ": "), prefix = TRUE)
    } else {
      # {path} in a manifest message stands for the path the reader was given
      expect_fixture_error(path, case$code, gsub("{path}", path, case$message, fixed = TRUE))
    }
  })
}
