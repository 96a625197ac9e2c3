"""The cells of every workbook, one module per phase package (``CELLS``); see grader/authoring/notebooks.py.

These modules hold the answers and the hidden tests: they never go into a student release.
"""
