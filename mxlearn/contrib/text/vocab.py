"""``Vocabulary``: give every token an integer index.

Index 0 is the unknown token, then come the reserved tokens (padding,
begin/end of sentence...) in the order given, then the tokens of a counter
from the most to the least frequent (ties in sorted order), keeping those
seen at least ``min_freq`` times and at most ``most_freq_count`` of them.

Examples
--------
>>> import collections
>>> v = Vocabulary(collections.Counter('abracadabra'), reserved_tokens=['<pad>'])
>>> v.idx_to_token
['<unk>', '<pad>', 'a', 'b', 'r', 'c', 'd']
>>> v.to_indices(['a', 'z']), v.to_tokens(3)
([2, 0], 'b')
"""
import collections

from ...base import MXNetError

__all__ = ['Vocabulary']

UNKNOWN_IDX = 0


class Vocabulary:
    """Indexing of text tokens.

    Parameters
    ----------
    counter : collections.Counter, optional
        Token frequencies; its keys are indexed.
    most_freq_count : int, optional
        Index at most this many tokens of ``counter`` (reserved ones not
        counted).
    min_freq : int, default 1
        Index only tokens counted at least this many times.
    unknown_token : hashable, default '<unk>'
        Stands for every token not indexed; its index is 0.
    reserved_tokens : list, optional
        Always indexed, right after the unknown token; no duplicates, and not
        the unknown token.

    Attributes
    ----------
    token_to_idx : dict
    idx_to_token : list
    unknown_token : hashable
    reserved_tokens : list or None

    Examples
    --------
    >>> import collections
    >>> len(Vocabulary(collections.Counter(['x', 'y', 'y']), min_freq=2))
    2
    """

    def __init__(self, counter=None, most_freq_count=None, min_freq=1, unknown_token='<unk>',
                 reserved_tokens=None):
        if min_freq <= 0:
            raise MXNetError('Vocabulary: min_freq must be positive, got %r' % (min_freq,))
        if reserved_tokens is not None:
            if unknown_token in reserved_tokens:
                raise MXNetError('Vocabulary: reserved_tokens cannot contain the '
                                 'unknown_token %r' % (unknown_token,))
            if len(set(reserved_tokens)) != len(reserved_tokens):
                raise MXNetError('Vocabulary: reserved_tokens cannot contain duplicates: %r'
                                 % (reserved_tokens,))
            reserved_tokens = list(reserved_tokens)
        self._unknown_token = unknown_token
        self._reserved_tokens = reserved_tokens
        self._idx_to_token = [unknown_token] + (reserved_tokens or [])
        self._token_to_idx = {t: i for i, t in enumerate(self._idx_to_token)}
        if counter is not None:
            self._index_counter(counter, most_freq_count, min_freq)

    def _index_counter(self, counter, most_freq_count, min_freq):
        if not isinstance(counter, collections.Counter):
            raise MXNetError('Vocabulary: counter must be a collections.Counter, got %s'
                             % type(counter).__name__)
        special = set(self._idx_to_token)
        limit = len(counter) if most_freq_count is None else most_freq_count
        limit += len(special)
        for token, freq in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
            if freq < min_freq or len(self._idx_to_token) == limit:
                break
            if token not in special:
                self._token_to_idx[token] = len(self._idx_to_token)
                self._idx_to_token.append(token)

    def __len__(self):
        return len(self._idx_to_token)

    @property
    def token_to_idx(self):
        """dict: each indexed token's index."""
        return self._token_to_idx

    @property
    def idx_to_token(self):
        """list: the token of each index."""
        return self._idx_to_token

    @property
    def unknown_token(self):
        """The token standing for every unknown token (index 0)."""
        return self._unknown_token

    @property
    def reserved_tokens(self):
        """list or None: the reserved tokens."""
        return self._reserved_tokens

    def to_indices(self, tokens):
        """The index of a token, or the list of indices of a list of tokens (0 if unknown).

        Examples
        --------
        >>> Vocabulary(reserved_tokens=['<s>']).to_indices(['<s>', 'x'])
        [1, 0]
        """
        if isinstance(tokens, list):
            return [self._token_to_idx.get(t, UNKNOWN_IDX) for t in tokens]
        return self._token_to_idx.get(tokens, UNKNOWN_IDX)

    def to_tokens(self, indices):
        """The token of an index, or the list of tokens of a list of indices.

        Raises
        ------
        ValueError
            For an index that is not an int in ``[0, len(self))``.

        Examples
        --------
        >>> Vocabulary(reserved_tokens=['<s>']).to_tokens([1, 0])
        ['<s>', '<unk>']
        """
        single = not isinstance(indices, list)
        out = []
        for idx in ([indices] if single else indices):
            if isinstance(idx, bool) or not isinstance(idx, int) or \
                    not 0 <= idx < len(self._idx_to_token):
                raise ValueError('Token index %r in the provided `indices` is invalid: '
                                 'expected an int in [0, %d)' % (idx, len(self._idx_to_token)))
            out.append(self._idx_to_token[idx])
        return out[0] if single else out
