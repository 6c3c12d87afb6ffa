"""Sphinx configuration of fastact's documentation.

Build with tools/build_docs.sh (HTML with warnings as errors, then every
example as a doctest). fastact must be importable: installed, or built in
place with PYTHONPATH=src. Nothing here adds the source tree to sys.path, so
the documentation describes the fastact that is actually installed.
"""
import inspect
import os
import re
import subprocess
import sys

import numpy as np

import fastact

project = "fastact"
author = "fastact developers"
copyright = "2026, fastact developers"
release = fastact.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.napoleon",
    "matplotlib.sphinxext.plot_directive",
]

# The docstrings are numpydoc-style where they have sections; napoleon reads
# those and leaves the plain-prose ones alone.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"          # the signatures in the docstrings say it

exclude_patterns = ["_build", "_generated"]

# The generated docstrings write |x| (softsign's formula) as plain text; in
# reST that is a substitution reference. Define it as itself.
rst_prolog = r"""
.. |x| replace:: \|x\|
"""
nitpicky = False

html_theme = "pydata_sphinx_theme"
html_title = f"fastact {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False

# Figures drawn while the documentation builds: the plot directive runs the
# code in the pages; the catalogue figure comes from the tool that draws it.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (7.5, 3.2), "font.size": 9}

# Every file starts from numpy's default print options (the docstrings'
# examples show full precision); the guide pages ask for 4 digits in their
# own testsetup.
doctest_global_setup = """
import numpy as np
import fastact
np.set_printoptions(precision=8, suppress=False, legacy=False)
"""

_HERE = os.path.dirname(os.path.abspath(__file__))
_GENERATED = os.path.join(_HERE, "_generated")


def _draw_catalogue_figure(app):
    """docs/_generated/activations.png, by tools/plot_activations.py, once
    per build (git ignores _generated/)."""
    os.makedirs(_GENERATED, exist_ok=True)
    tool = os.path.join(os.path.dirname(_HERE), "tools", "plot_activations.py")
    subprocess.run([sys.executable, tool, os.path.join(_GENERATED, "activations.png")],
                   check=True, stdout=subprocess.DEVNULL)


# Today's ufunc docstrings are numpy's generated signature lines followed by
# plain prose (with |x| and * that reST would read as markup). Until they are
# numpydoc (generated from the catalogue), the API page shows such prose as
# written, in a literal block, and takes the signature from the last signature
# line. A docstring with numpydoc sections is rendered as reST (napoleon).
_NUMPYDOC_SECTION = re.compile(r"^\s*(Parameters|Returns|Examples|Notes|See Also)\s*$", re.M)


def _signature_lines(name, lines):
    """How many leading lines (and blank lines) are `name(...)` signatures."""
    n = 0
    while n < len(lines) and (lines[n].startswith(name + "(") or not lines[n].strip()):
        n += 1
    return n


def _ufunc_signature(app, what, name, obj, options, signature, return_annotation):
    if isinstance(obj, np.ufunc):
        short = name.rsplit(".", 1)[-1]
        lines = (obj.__doc__ or "").splitlines()
        sigs = [ln for ln in lines[:_signature_lines(short, lines)] if ln.strip()]
        if sigs:
            return sigs[-1][len(short):], return_annotation
    return signature, return_annotation


def _plain_docstring(app, what, name, obj, options, lines):
    short = name.rsplit(".", 1)[-1]
    if isinstance(obj, np.ufunc):
        del lines[:_signature_lines(short, lines)]
    if not _NUMPYDOC_SECTION.search("\n".join(lines)) and any(ln.strip() for ln in lines):
        text = inspect.cleandoc("\n".join(lines))
        lines[:] = ["::", ""] + ["    " + ln for ln in text.splitlines()] + [""]


def setup(app):
    app.connect("builder-inited", _draw_catalogue_figure)
    app.connect("autodoc-process-signature", _ufunc_signature)
    # Before napoleon's handler (default priority 500), which turns the
    # numpydoc sections into fields that the check above would not see.
    app.connect("autodoc-process-docstring", _plain_docstring, priority=100)
