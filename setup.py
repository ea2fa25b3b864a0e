"""Build script for scrapyd-deploy (it builds an egg with `python setup.py bdist_uberegg`).

All metadata, dependencies and package data are in pyproject.toml.
"""

from setuptools import setup

setup()
