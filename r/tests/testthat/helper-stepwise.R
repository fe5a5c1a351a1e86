# The walk-through's own numbers and names, for test-stepwise.R and test-trace.R.

# The output the walk-through prints for its untrained network (the
# walk-through's own printout), to its 8 decimals.
walkthrough_untrained_output <- c(0.68334694, 0.72697078, 0.71257368)

forward_names <- c(
  "hiddenLayer_linearTransform", "hiddenLayer_activations", "outputLayer_linearTransform", "output"
)
backward_names <- c(
  "error_wrt_output",
  "output_wrt_outputLayer_linearTransform",
  "outputLayer_linearTransform_wrt_weights_hidden_output",
  "error_wrt_weights_hidden_output",
  "outputLayer_linearTransform_wrt_hiddenLayer_activations",
  "hiddenLayer_activations_wrt_hiddenLayer_linearTransform",
  "hiddenLayer_linearTransform_wrt_weights_input_hidden",
  "error_wrt_weights_input_hidden"
)
