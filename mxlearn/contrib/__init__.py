"""``mx.contrib``: experimental APIs of MXNet that course material relies on.

Only ``mx.contrib.text`` (vocabularies and token embeddings) exists so far.

Examples
--------
>>> import mxlearn.contrib
>>> sorted(m for m in dir(mxlearn.contrib.text) if not m.startswith('_'))
['embedding', 'utils', 'vocab']
"""
from . import text
