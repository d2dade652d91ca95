"""Test-wide settings: docstring examples print numbers the same on numpy 1.x and 2.x."""
import numpy as np

if np.lib.NumpyVersion(np.__version__) >= '2.0.0':
    np.set_printoptions(legacy='1.25')
