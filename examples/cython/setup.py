# Build: python setup.py build_ext --inplace   (needs Cython and fastact installed)
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    name="fastact-cython-demo",
    ext_modules=cythonize([Extension("fastact_cython_demo", ["fastact_cython_demo.pyx"])]),
)
