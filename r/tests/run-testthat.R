# Runs the testthat suite against the installed twinnet package (make test-r)
# and ends with one plain summary line: "testthat: N passed, N failed, N skipped".
# An argument picks the files whose names match it (make soak: the hostile ones).
testthat::set_max_fails(Inf) # run every file, count every failure
files <- commandArgs(trailingOnly = TRUE)
results <- as.data.frame(testthat::test_dir(
  "r/tests/testthat", package = "twinnet", load_package = "installed", filter = if (length(files)) files[1],
  reporter = testthat::ProgressReporter$new(show_praise = FALSE), stop_on_failure = FALSE
))
failed <- sum(results$failed) + sum(results$error)
cat(sprintf("testthat: %d passed, %d failed, %d skipped\n",
            sum(results$nb) - sum(results$failed) - sum(results$skipped), failed, sum(results$skipped)))
quit(status = if (failed > 0 || sum(results$skipped) > 0) 1 else 0)
