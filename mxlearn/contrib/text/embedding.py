"""Token embeddings: a ``Vocabulary`` whose every index also has a vector.

A pre-trained embedding file has one token per line followed by its vector,
``token v1 v2 ... vk``. Loading one indexes its tokens (after the unknown
token, index 0) and stacks their vectors into ``idx_to_vec``, an NDArray of
shape (number of tokens, k). Given a ``vocabulary``, the embedding takes that
vocabulary's indexing instead and keeps only its tokens' vectors (unknown ones
get the unknown token's vector).

``CustomEmbedding`` reads any such file. ``GloVe`` and ``FastText`` read
their published files from ``embedding_root/<glove|fasttext>/``: a file
already there is used as it is (any name); a missing one is downloaded from
the repository (``MXLEARN_DATASET_URL`` or ``MXNET_GLUON_REPO``) with checksum
verification, which needs the network.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'vectors.txt')
>>> with open(path, 'w') as f:
...     _ = f.write('hello 1 2\\nworld 3 4\\n')
>>> emb = CustomEmbedding(path)
>>> emb.idx_to_token, emb.vec_len
(['<unk>', 'hello', 'world'], 2)
>>> emb.get_vecs_by_tokens(['world', 'nope']).asnumpy()
array([[3., 4.],
       [0., 0.]], dtype=float32)
"""
import os
import warnings

import numpy as np

from ... import ndarray as nd
from ..._ext.core import NDArrayBase
from ...base import MXNetError
from .vocab import UNKNOWN_IDX, Vocabulary

__all__ = ['register', 'create', 'get_pretrained_file_names', 'CustomEmbedding', 'GloVe',
           'FastText', 'CompositeEmbedding']

_REGISTRY = {}


def register(embedding_cls):
    """Register a token embedding class under its lower-case name (for ``create``).

    Examples
    --------
    >>> @register
    ... class MyEmbed(CustomEmbedding):
    ...     pretrained_file_name_sha1 = {}
    >>> 'myembed' in get_pretrained_file_names()
    True
    """
    name = embedding_cls.__name__.lower()
    if name in _REGISTRY and _REGISTRY[name] is not embedding_cls:
        warnings.warn('New token embedding %s.%s is overriding existing %s'
                      % (embedding_cls.__module__, embedding_cls.__name__, name))
    _REGISTRY[name] = embedding_cls
    return embedding_cls


def _lookup(embedding_name):
    cls = _REGISTRY.get(embedding_name.lower())
    if cls is None:
        raise KeyError('Cannot find token embedding %r. Valid names: %s'
                       % (embedding_name, ', '.join(sorted(_REGISTRY))))
    return cls


def create(embedding_name, **kwargs):
    """An instance of the registered embedding ``embedding_name`` (case-insensitive).

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> os.mkdir(os.path.join(root, 'glove'))
    >>> with open(os.path.join(root, 'glove', 'glove.6B.50d.txt'), 'w') as f:
    ...     _ = f.write('the 0.5 0.25\\n')
    >>> create('GloVe', pretrained_file_name='glove.6B.50d.txt', embedding_root=root).vec_len
    2
    """
    return _lookup(embedding_name)(**kwargs)


def get_pretrained_file_names(embedding_name=None):
    """The known pre-trained file names of one embedding (a list), or of all (a dict).

    Examples
    --------
    >>> 'glove.6B.50d.txt' in get_pretrained_file_names('glove')
    True
    """
    if embedding_name is not None:
        return list(_lookup(embedding_name).pretrained_file_name_sha1)
    return {name: list(cls.pretrained_file_name_sha1) for name, cls in _REGISTRY.items()}


class _TokenEmbedding(Vocabulary):
    """A Vocabulary with a vector per index (``idx_to_vec``); see the module docstring."""

    # File name -> SHA-1 of the pre-trained files a subclass knows.
    pretrained_file_name_sha1 = {}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._vec_len = None
        self._idx_to_vec = None

    @property
    def vec_len(self):
        """int: the length of each vector."""
        return self._vec_len

    @property
    def idx_to_vec(self):
        """NDArray (len(self), vec_len): the vector of each index."""
        return self._idx_to_vec

    def _load_embedding(self, path, elem_delim, init_unknown_vec, encoding='utf8'):
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            raise MXNetError('the pre-trained token embedding file %r does not exist' % path)
        vectors, unknown_vec, seen = [], None, set()
        with open(path, 'r', encoding=encoding) as f:
            for line_num, line in enumerate(f, 1):
                elems = line.rstrip().split(elem_delim)
                if len(elems) < 2:
                    raise MXNetError('line %d of the embedding file %s is not "token value '
                                     '..." separated by %r' % (line_num, path, elem_delim))
                token = elems[0]
                try:
                    vec = np.array(elems[1:], dtype=np.float32)
                except ValueError:
                    raise MXNetError('line %d of the embedding file %s: the values of token '
                                     '%r are not all numbers' % (line_num, path, token)) from None
                if token == self.unknown_token and unknown_vec is None:
                    unknown_vec = vec
                elif token in seen or token in self._token_to_idx:
                    warnings.warn('line %d of the embedding file: the vector of token %r was '
                                  'already loaded; this duplicate is skipped'
                                  % (line_num, token))
                    continue
                elif vec.size == 1:
                    warnings.warn('line %d of the embedding file: token %r with a '
                                  '1-dimensional vector is likely a header and is skipped'
                                  % (line_num, token))
                    continue
                else:
                    if vectors and vec.size != vectors[0].size:
                        raise MXNetError('line %d of the embedding file %s: token %r has %d '
                                         'values but the tokens before have %d'
                                         % (line_num, path, token, vec.size, vectors[0].size))
                    vectors.append(vec)
                    self._token_to_idx[token] = len(self._idx_to_token)
                    self._idx_to_token.append(token)
                seen.add(token)
        if not vectors:
            raise MXNetError('the embedding file %s holds no token vectors' % path)
        self._vec_len = vectors[0].size
        if unknown_vec is None:
            unknown_vec = init_unknown_vec(shape=self._vec_len)
            unknown_vec = unknown_vec.asnumpy() if isinstance(unknown_vec, NDArrayBase) \
                else np.asarray(unknown_vec, dtype=np.float32)
        # Reserved tokens (if any) sit between the unknown token and the file's
        # tokens; like the unknown token they start with the unknown vector.
        special = len(self._idx_to_token) - len(vectors)
        table = np.concatenate([np.tile(unknown_vec.reshape(1, -1), (special, 1)),
                                np.stack(vectors)])
        self._idx_to_vec = nd.array(table)

    def _adopt_vocabulary(self, vocabulary):
        if not isinstance(vocabulary, Vocabulary):
            raise MXNetError('vocabulary must be a mxlearn.contrib.text.vocab.Vocabulary, '
                             'got %s' % type(vocabulary).__name__)
        table = self.get_vecs_by_tokens(vocabulary.idx_to_token[1:]).asnumpy() \
            if len(vocabulary) > 1 else np.zeros((0, self._vec_len), np.float32)
        self._idx_to_vec = nd.array(np.concatenate([self._idx_to_vec[0:1].asnumpy(), table]))
        self._copy_indexing(vocabulary)

    def _copy_indexing(self, vocabulary):
        self._token_to_idx = dict(vocabulary.token_to_idx)
        self._idx_to_token = list(vocabulary.idx_to_token)
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = None if vocabulary.reserved_tokens is None \
            else list(vocabulary.reserved_tokens)

    def _indices(self, tokens, lower_case_backup=False):
        if not lower_case_backup:
            return [self._token_to_idx.get(t, UNKNOWN_IDX) for t in tokens]
        return [self._token_to_idx[t] if t in self._token_to_idx
                else self._token_to_idx.get(t.lower(), UNKNOWN_IDX) for t in tokens]

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """The vector of a token (vec_len,), or the vectors of a list of tokens (n, vec_len).

        Parameters
        ----------
        tokens : str or list of str
        lower_case_backup : bool, default False
            Look up the lower-case token when the token itself is unknown.
        """
        single = not isinstance(tokens, list)
        indices = self._indices([tokens] if single else tokens, lower_case_backup)
        vecs = nd.take(self._idx_to_vec, nd.array(indices, dtype='int64'))
        return vecs[0] if single else vecs

    def update_token_vectors(self, tokens, new_vectors):
        """Replace the vectors of indexed ``tokens`` with ``new_vectors``.

        Parameters
        ----------
        tokens : str or list of str
            Indexed tokens (to change the unknown vector, name the unknown
            token itself).
        new_vectors : NDArray
            (vec_len,) or (1, vec_len) for one token, (len(tokens), vec_len)
            for several.

        Raises
        ------
        ValueError
            For a token that is not indexed.
        """
        if not isinstance(tokens, list):
            tokens = [tokens]
        if not isinstance(new_vectors, NDArrayBase):
            raise MXNetError('update_token_vectors: new_vectors must be an NDArray, got %s'
                             % type(new_vectors).__name__)
        if new_vectors.ndim == 1 and len(tokens) == 1:
            new_vectors = new_vectors.reshape((1, -1))
        if new_vectors.shape != (len(tokens), self._vec_len):
            raise MXNetError('update_token_vectors: new_vectors must have shape %s (one '
                             'vector of length %d per token), got %s'
                             % ((len(tokens), self._vec_len), self._vec_len, new_vectors.shape))
        indices = []
        for token in tokens:
            if token not in self._token_to_idx:
                raise ValueError('Token %r is unknown. To update the embedding vector for an '
                                 'unknown token, please specify it explicitly as the '
                                 '`unknown_token` %r in `tokens`. This is to avoid unintended '
                                 'updates.' % (token, self._idx_to_token[UNKNOWN_IDX]))
            indices.append(self._token_to_idx[token])
        self._idx_to_vec[np.array(indices)] = new_vectors.as_in_context(
            self._idx_to_vec.context)

    @classmethod
    def _pretrained_file(cls, embedding_root, pretrained_file_name):
        """The local path of a pre-trained file, downloaded first if it is missing."""
        from ...gluon.utils import _get_repo_file_url, download
        folder = os.path.join(os.path.expanduser(embedding_root), cls.__name__.lower())
        path = os.path.join(folder, pretrained_file_name)
        if os.path.isfile(path):
            return path
        if pretrained_file_name not in cls.pretrained_file_name_sha1:
            raise KeyError('Cannot find pretrained file %s for token embedding %s: it is not '
                           'in %s, and the files mxlearn can download are: %s'
                           % (pretrained_file_name, cls.__name__.lower(), folder,
                              ', '.join(cls.pretrained_file_name_sha1)))
        archive = cls._archive_name(pretrained_file_name)
        url = _get_repo_file_url('gluon/embeddings/' + cls.__name__.lower(), archive)
        try:
            archive_path = download(url, os.path.join(folder, archive),
                                    sha1_hash=cls.pretrained_archive_name_sha1[archive])
        except MXNetError as e:
            raise MXNetError('%s: %s is not in %s and could not be downloaded (%s). Put the '
                             'file there, or pass embedding_root= the folder holding %s/.'
                             % (cls.__name__, pretrained_file_name, folder, e,
                                cls.__name__.lower())) from None
        import tarfile
        import zipfile
        opener = zipfile.ZipFile if archive.endswith('.zip') else tarfile.open
        with opener(archive_path) as ar:
            ar.extractall(folder)
        return path


class CustomEmbedding(_TokenEmbedding):
    """Token vectors from a file of lines ``token<elem_delim>v1<elem_delim>v2...``.

    Parameters
    ----------
    pretrained_file_path : str
    elem_delim : str, default ' '
    encoding : str, default 'utf8'
    init_unknown_vec : callable, default nd.zeros
        ``init_unknown_vec(shape=vec_len)`` gives the unknown token's vector
        when the file has none.
    vocabulary : Vocabulary, optional
        Index this vocabulary's tokens instead of the file's.
    **kwargs
        Passed to ``Vocabulary`` (e.g. ``unknown_token``).
    """

    def __init__(self, pretrained_file_path, elem_delim=' ', encoding='utf8',
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super().__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim, init_unknown_vec, encoding)
        if vocabulary is not None:
            self._adopt_vocabulary(vocabulary)


@register
class GloVe(_TokenEmbedding):
    """GloVe word vectors (Pennington, Socher and Manning).

    https://nlp.stanford.edu/projects/glove/

    Parameters
    ----------
    pretrained_file_name : str, default 'glove.840B.300d.txt'
    embedding_root : str, default '~/.mxlearn/embeddings'
        The file is ``embedding_root/glove/pretrained_file_name``.
    init_unknown_vec : callable, default nd.zeros
    vocabulary : Vocabulary, optional
    """

    pretrained_archive_name_sha1 = {
        'glove.42B.300d.zip': 'f8e722b39578f776927465b71b231bae2ae8776a',
        'glove.6B.zip': 'b64e54f1877d2f735bdd000c1d7d771e25c7dfdc',
        'glove.840B.300d.zip': '8084fbacc2dee3b1fd1ca4cc534cbfff3519ed0d',
        'glove.twitter.27B.zip': 'dce69c404025a8312c323197347695e81fd529fc'}
    pretrained_file_name_sha1 = {
        'glove.42B.300d.txt': '876767977d6bd4d947c0f84d44510677bc94612a',
        'glove.6B.50d.txt': '21bf566a9d27f84d253e0cd4d4be9dcc07976a6d',
        'glove.6B.100d.txt': '16b1dbfaf35476790bd9df40c83e2dfbd05312f1',
        'glove.6B.200d.txt': '17d0355ddaa253e298ede39877d1be70f99d9148',
        'glove.6B.300d.txt': '646443dd885090927f8215ecf7a677e9f703858d',
        'glove.840B.300d.txt': '294b9f37fa64cce31f9ebb409c266fc379527708',
        'glove.twitter.27B.25d.txt': '767d80889d8c8a22ae7cd25e09d0650a6ff0a502',
        'glove.twitter.27B.50d.txt': '9585f4be97e286339bf0112d0d3aa7c15a3e864d',
        'glove.twitter.27B.100d.txt': '1bbeab8323c72332bd46ada0fc3c99f2faaa8ca8',
        'glove.twitter.27B.200d.txt': '7921c77a53aa5977b1d9ce3a7c4430cbd9d1207a'}

    @classmethod
    def _archive_name(cls, pretrained_file_name):
        corpus = pretrained_file_name.split('.')[1]
        return next(a for a in cls.pretrained_archive_name_sha1 if a.split('.')[1] == corpus)

    def __init__(self, pretrained_file_name='glove.840B.300d.txt',
                 embedding_root=os.path.join('~', '.mxlearn', 'embeddings'),
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super().__init__(**kwargs)
        path = self._pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, ' ', init_unknown_vec)
        if vocabulary is not None:
            self._adopt_vocabulary(vocabulary)


@register
class FastText(_TokenEmbedding):
    """fastText word vectors (Bojanowski et al., https://fasttext.cc/).

    Any ``.vec`` file placed in ``embedding_root/fasttext/`` loads; the
    downloadable ones are listed in ``pretrained_file_name_sha1`` (a few of
    the languages MXNet lists).

    Parameters
    ----------
    pretrained_file_name : str, default 'wiki.simple.vec'
    embedding_root : str, default '~/.mxlearn/embeddings'
    init_unknown_vec : callable, default nd.zeros
    vocabulary : Vocabulary, optional
    """

    pretrained_archive_name_sha1 = {
        'crawl-300d-2M.zip': 'bb40313d15837ceecc1e879bc954e9be04b17c3c',
        'wiki.de.zip': '0d9e4bf80100b46237dcb73cfefe390103e7e827',
        'wiki.en.zip': '7f83d578a31a8168423c77ea25ad381494a5e920',
        'wiki.fr.zip': 'd906e68760153d771e5982009b0150e913254b2d',
        'wiki.simple.zip': '367737535e39defb0e713a7ff2374cb932c5a9bc',
        'wiki.zh.zip': '2374ec566f6411b9bb570077636695fe9768a5ba'}
    pretrained_file_name_sha1 = {
        'crawl-300d-2M.vec': '9b556504d099a6c01f3dd76b88775d02cb2f1946',
        'wiki.de.vec': '2ed2696afe55f023b0040b238d9a47e5fedfe48b',
        'wiki.en.vec': 'c1e418f144ceb332b4328d27addf508731fa87df',
        'wiki.fr.vec': 'b092229005a65d8683a4112852fe6eb8161a6917',
        'wiki.simple.vec': '55267c50fbdf4e4ae0fbbda5c73830a379d68795',
        'wiki.zh.vec': '117ab34faa80e381641fbabf3a24bc8cfba44050'}

    @classmethod
    def _archive_name(cls, pretrained_file_name):
        return pretrained_file_name.rsplit('.', 1)[0] + '.zip'

    def __init__(self, pretrained_file_name='wiki.simple.vec',
                 embedding_root=os.path.join('~', '.mxlearn', 'embeddings'),
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super().__init__(**kwargs)
        path = self._pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, ' ', init_unknown_vec)
        if vocabulary is not None:
            self._adopt_vocabulary(vocabulary)


class CompositeEmbedding(_TokenEmbedding):
    """A vocabulary's tokens with the vectors of several embeddings concatenated.

    Parameters
    ----------
    vocabulary : Vocabulary
    token_embeddings : embedding or list of embeddings

    Examples
    --------
    >>> import collections, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'v.txt')
    >>> with open(path, 'w') as f:
    ...     _ = f.write('a 1 2\\n')
    >>> e = CustomEmbedding(path)
    >>> v = Vocabulary(collections.Counter(['a', 'b']))
    >>> CompositeEmbedding(v, [e, e]).idx_to_vec.asnumpy()
    array([[0., 0., 0., 0.],
           [1., 2., 1., 2.],
           [0., 0., 0., 0.]], dtype=float32)
    """

    def __init__(self, vocabulary, token_embeddings):
        if not isinstance(vocabulary, Vocabulary):
            raise MXNetError('CompositeEmbedding: vocabulary must be a Vocabulary, got %s'
                             % type(vocabulary).__name__)
        if not isinstance(token_embeddings, list):
            token_embeddings = [token_embeddings]
        for e in token_embeddings:
            if not isinstance(e, _TokenEmbedding):
                raise MXNetError('CompositeEmbedding: token_embeddings must be token '
                                 'embeddings, got %s' % type(e).__name__)
        super().__init__()
        self._copy_indexing(vocabulary)
        parts = []
        for e in token_embeddings:
            rows = e.get_vecs_by_tokens(self._idx_to_token[1:]).asnumpy() \
                if len(self._idx_to_token) > 1 else np.zeros((0, e.vec_len), np.float32)
            parts.append(np.concatenate([e.idx_to_vec[0:1].asnumpy(), rows]))
        table = np.concatenate(parts, axis=1)
        self._vec_len = table.shape[1]
        self._idx_to_vec = nd.array(table)
