"""Counting tokens in text."""
import collections
import re

__all__ = ['count_tokens_from_str']


def count_tokens_from_str(source_str, token_delim=' ', seq_delim='\n', to_lower=False,
                          counter_to_update=None):
    """Count the tokens of ``source_str``, split at ``token_delim`` and ``seq_delim``.

    Parameters
    ----------
    source_str : str
    token_delim : str, default ' '
        A regular expression separating tokens (escape special characters,
        e.g. ``'\\\\*'``).
    seq_delim : str, default '\\n'
        A regular expression separating sequences.
    to_lower : bool, default False
        Count lower-cased tokens.
    counter_to_update : collections.Counter, optional
        Add the counts to this counter (and return it).

    Returns
    -------
    collections.Counter

    Examples
    --------
    >>> c = count_tokens_from_str(' Life is great ! \\n life is good . \\n', to_lower=True)
    >>> sorted(c.items())
    [('!', 1), ('.', 1), ('good', 1), ('great', 1), ('is', 2), ('life', 2)]
    """
    tokens = [t for t in re.split(token_delim + '|' + seq_delim, source_str) if t]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    if counter_to_update is None:
        return collections.Counter(tokens)
    counter_to_update.update(tokens)
    return counter_to_update
