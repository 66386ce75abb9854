"""The bundled handbook as package data: the installed package finds this folder with importlib.resources.

Editors never need this file; it only lets a wheel or `pip install .` carry the YAML next to the code."""
