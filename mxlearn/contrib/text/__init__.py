"""``mx.contrib.text``: count tokens, index them (``vocab``), look up vectors (``embedding``).

Examples
--------
>>> from mxlearn.contrib import text
>>> counter = text.utils.count_tokens_from_str('a b b c c c')
>>> text.vocab.Vocabulary(counter).idx_to_token
['<unk>', 'c', 'b', 'a']
"""
from . import embedding, utils, vocab
