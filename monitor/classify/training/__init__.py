"""Tools that build and measure the classifier artifact (needs scikit-learn).

examples: labelled data in (seeds, training/, corrections); fit: calibration and
operating points; train: the artifact out; evaluate: the dev-set table (`make eval`).
Nothing under `monitor/classify/` outside this package imports it, so the run time
stays numpy-only (`tests/test_layers.py`).
"""
