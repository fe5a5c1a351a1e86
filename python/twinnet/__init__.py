"""twinnet: one from-scratch neural network, twinned in Python and R.

The network of "Understanding and coding Neural Networks From Scratch in Python
and R" (``twinnet.article``), its bias-free walk-through (``twinnet.stepwise``)
and a Layer-class variant (``twinnet.layered``), written in numpy here and in
base R in the R package of the same name, and checked to agree within 1e-12.

The public API::

    import twinnet
    twinnet.example()                       # the packaged fixtures' names
    fit = twinnet.train_fixture(twinnet.example("article"))
    fit["params"]["wout"], fit["loss"][-1]

``read_fixture`` reads and checks a fixture, ``train_variant`` trains a variant
on arrays, ``init_params`` draws initial parameters from a seed (the same
numbers as R's ``init_params``), ``predict_variant`` runs a trained network on
new inputs, and ``write_result`` writes a result that reads back bit-exactly.
``twinnet.rbridge`` runs the R twin in process (``pip install 'twinnet[r]'``);
``python -m twinnet --help`` lists the command line.
"""

from .fixtures import FixtureError, example, read_fixture, train_fixture, train_variant
from .params import init_params, predict_variant
from .results import write_result

__version__ = "0.1.0"

__all__ = [
    "FixtureError",
    "__version__",
    "example",
    "init_params",
    "predict_variant",
    "read_fixture",
    "train_fixture",
    "train_variant",
    "write_result",
]
