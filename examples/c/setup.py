# Build: python setup.py build_ext --inplace   (needs fastact installed)
import fastact
from setuptools import Extension, setup

setup(
    name="fastact-c-demo",
    ext_modules=[Extension("fastact_c_demo", ["fastact_c_demo.c"],
                           include_dirs=[fastact.get_include()])],
)
