#' twinnet: the article neural network, twinned with Python
#'
#' A 2-layer sigmoid network with biases on both layers, trained full-batch by
#' gradient descent as in "Understanding and coding Neural Networks From
#' Scratch in Python and R" (Sunil Ray, 2017). It is written in base R as the
#' twin of a numpy implementation (`python/twinnet/` in the same repository);
#' both read the same seeded JSON fixtures and are checked to agree within
#' 1e-12.
#'
#' Start with [train_fixture()]: it reads a `twinnet-fixture/1` JSON file with
#' [read_fixture()], trains it and returns a `twinnet-result/1` list, which
#' [write_result()] writes as JSON whose numbers read back bit-exactly.
#'
#' The network itself is [train()], built from [forward()], [backward()],
#' [update_params()] and [loss()], with the activation [sigmoid()] and its
#' slope [derivatives_sigmoid()]. Samples are rows: `X` is n x d, `y` is n x 1,
#' and the parameters are `wh` (d x h), `bh` (1 x h), `wout` (h x 1) and `bout`
#' (1 x 1). Each epoch is one step of gradient descent on the summed error
#' \eqn{E = \sum \frac{1}{2}(y - output)^2}; [loss()] reports its mean.
#'
#' Bad fixtures stop with an error of class `"twinnet_fixture_error"` whose
#' message names the offending JSON field.
#'
#' The fixtures shared with the Python twin are installed with the package:
#' [twinnet_example()] lists them and returns their paths. To train on your own
#' data, make initial parameters with [init_params()], train with
#' [train_variant()] and predict with [predict_variant()]. The vignette,
#' `vignette("twinnet")`, walks through one fixture end to end.
#'
#' @keywords internal
#' @importFrom methods new setRefClass
"_PACKAGE"
