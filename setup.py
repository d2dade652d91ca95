"""Build the Cython sources in ext/ into mxlearn._ext.* (metadata lives in pyproject.toml)."""
import glob
import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup


def openmp_flags():
    # MSVC and Apple clang spell OpenMP differently (or lack it); kernels still
    # compile without it, just on one thread.
    if sys.platform == 'win32':
        return ['/openmp'], []
    if sys.platform == 'darwin':
        return [], []
    return ['-fopenmp'], ['-fopenmp']


compile_args, link_args = openmp_flags()
extensions = [
    Extension(
        'mxlearn._ext.' + os.path.splitext(os.path.basename(path))[0],
        [path],
        include_dirs=[numpy.get_include()],
        extra_compile_args=['-O3'] + compile_args if sys.platform != 'win32' else compile_args,
        extra_link_args=link_args,
        define_macros=[('NPY_NO_DEPRECATED_API', 'NPY_1_7_API_VERSION')],
    )
    for path in sorted(glob.glob('ext/*.pyx'))
]

# Each kernel file compiles on its own, so use every core: Binder and CI
# build from scratch on two.
jobs = os.cpu_count() or 1
setup(ext_modules=cythonize(extensions, nthreads=jobs, compiler_directives={'language_level': 3}),
      options={'build_ext': {'parallel': jobs}})
