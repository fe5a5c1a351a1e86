"""twinnet: the article's 2-layer sigmoid network, twinned in Python and R.

``twinnet.article`` is the network; ``twinnet.fixtures`` reads the shared
fixtures and writes results; ``twinnet.rbridge`` runs the R twin through rpy2;
``twinnet.parity`` compares the two.  ``python -m twinnet --help`` for the CLI.
"""

__version__ = "0.1.0"
