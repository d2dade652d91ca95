"""mx.image (decode, resize, crop), vision.transforms, and mx.contrib.text."""
import collections
import io
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mxlearn as mx
import mxlearn.image
from mxlearn import nd
from mxlearn.base import MXNetError
from mxlearn.contrib.text import embedding, utils as text_utils, vocab
from mxlearn.gluon import utils as gluon_utils
from mxlearn.gluon.data.vision import transforms as T
from mxlearn.gluon.data.vision.transforms import _rotate_hue

SETTINGS = settings(max_examples=25, deadline=None)
image = mx.image


def rand_image(h, w, c=3, seed=0, dtype=np.uint8):
    rng = np.random.RandomState(seed)
    if dtype == np.uint8:
        return rng.randint(0, 256, (h, w, c)).astype(np.uint8)
    return rng.rand(h, w, c).astype(dtype)


def png_bytes(array, mode=None):
    pil = pytest.importorskip('PIL.Image')
    buf = io.BytesIO()
    pil.fromarray(array, mode).save(buf, format='PNG')
    return buf.getvalue()


# ------------------------------------------------------------ decoding --

def test_imdecode_and_imread(tmp_path):
    pil = pytest.importorskip('PIL.Image')
    a = rand_image(5, 7)
    buf = png_bytes(a)
    img = image.imdecode(buf)
    assert img.shape == (5, 7, 3) and img.dtype == np.uint8 and img.context == mx.cpu()
    np.testing.assert_array_equal(img.asnumpy(), a)
    np.testing.assert_array_equal(image.imdecode(buf, to_rgb=0).asnumpy(), a[:, :, ::-1])
    gray = image.imdecode(np.frombuffer(buf, np.uint8), flag=0)
    want = np.asarray(pil.fromarray(a).convert('L'))
    np.testing.assert_array_equal(gray.asnumpy()[:, :, 0], want)
    out = nd.zeros((5, 7, 3), dtype='uint8')
    assert image.imdecode(buf, out=out) is out and (out.asnumpy() == a).all()
    path = tmp_path / 'a.png'
    path.write_bytes(buf)
    np.testing.assert_array_equal(image.imread(str(path)).asnumpy(), a)
    assert image.imread(str(path), flag=0).shape == (5, 7, 1)


def test_imdecode_errors(tmp_path, monkeypatch):
    pytest.importorskip('PIL.Image')
    with pytest.raises(MXNetError, match='cannot decode the 5 bytes'):
        image.imdecode(b'hello')
    with pytest.raises(MXNetError, match="couldn't be opened"):
        image.imread(str(tmp_path / 'missing.png'))
    with pytest.raises(MXNetError, match='expected the bytes'):
        image.imdecode(3)
    monkeypatch.setitem(sys.modules, 'PIL', None)
    with pytest.raises(MXNetError, match='pip install pillow'):
        image.imdecode(b'\x89PNG')


# ------------------------------------------------------------ resizing --

def bilinear_reference(img, w, h):
    """OpenCV's bilinear resize, pixel by pixel."""
    H, W = img.shape[:2]
    out = np.zeros((h, w, img.shape[2]))
    for i in range(h):
        sy = min(max((i + 0.5) * H / h - 0.5, 0), H - 1)
        y0 = int(np.floor(sy))
        y1, fy = min(y0 + 1, H - 1), sy - y0
        for j in range(w):
            sx = min(max((j + 0.5) * W / w - 0.5, 0), W - 1)
            x0 = int(np.floor(sx))
            x1, fx = min(x0 + 1, W - 1), sx - x0
            out[i, j] = ((1 - fy) * ((1 - fx) * img[y0, x0] + fx * img[y0, x1])
                         + fy * ((1 - fx) * img[y1, x0] + fx * img[y1, x1]))
    return out


@SETTINGS
@given(h=st.integers(1, 9), w=st.integers(1, 9), oh=st.integers(1, 12), ow=st.integers(1, 12),
       seed=st.integers(0, 99))
def test_bilinear_matches_reference(h, w, oh, ow, seed):
    img = rand_image(h, w, 2, seed, np.float32)
    got = image.imresize(nd.array(img), ow, oh, interp=1).asnumpy()
    np.testing.assert_allclose(got, bilinear_reference(img.astype(np.float64), ow, oh),
                               rtol=1e-5, atol=1e-5)
    u8 = rand_image(h, w, 1, seed)
    got8 = image.imresize(nd.array(u8, dtype='uint8'), ow, oh, interp=1).asnumpy()
    want8 = np.floor(bilinear_reference(u8.astype(np.float64), ow, oh) + 0.5)
    assert got8.dtype == np.uint8 and np.abs(got8 - want8).max() <= 1


def test_nearest_area_and_smooth_kernels():
    img = rand_image(6, 8, 3, 1, np.float32)
    nearest = image.imresize(nd.array(img), 3, 2, interp=0).asnumpy()
    np.testing.assert_array_equal(nearest, img[[0, 3]][:, [0, 2, 5]])
    area = image.imresize(nd.array(img), 4, 3, interp=3).asnumpy()
    np.testing.assert_allclose(area, img.reshape(3, 2, 4, 2, 3).mean(axis=(1, 3)), rtol=1e-6)
    # Bicubic and Lanczos weights sum to one: a flat image stays flat.
    flat = np.full((7, 9, 1), 42.0, np.float32)
    for interp in (2, 4):
        out = image.imresize(nd.array(flat), 13, 5, interp=interp).asnumpy()
        np.testing.assert_allclose(out, 42.0, rtol=1e-5)
    # Halving puts output pixel 1 at source coordinate 2.5: Keys' cubic (a = -0.75)
    # at distances 1.5, 0.5, 0.5, 1.5 gives a(27/8) - 5a(9/4) + 8a(3/2) - 4a = -3/32
    # and (a + 2)/8 - (a + 3)/4 + 1 = 19/32.
    from mxlearn.image.resize import interp_matrix
    np.testing.assert_allclose(interp_matrix(8, 4, 2)[1], [0, -3 / 32, 19 / 32, 19 / 32,
                                                            -3 / 32, 0, 0, 0], atol=1e-12)
    with pytest.raises(MXNetError, match='Unknown interp'):
        image.imresize(nd.array(flat), 2, 2, interp=7)


def test_resize_short_and_scale_down():
    assert image.resize_short(nd.zeros((5, 7, 3)), 3).shape == (3, 4, 3)
    assert image.resize_short(nd.zeros((11, 3, 1)), 10).shape == (36, 10, 1)
    assert image.scale_down((640, 480), (720, 120)) == (640, 106)
    assert image.scale_down((100, 100), (50, 200)) == (25, 100)


def test_crops():
    a = rand_image(6, 8)
    x = nd.array(a, dtype='uint8')
    np.testing.assert_array_equal(image.fixed_crop(x, 2, 1, 3, 4).asnumpy(), a[1:5, 2:5])
    assert image.fixed_crop(x, 2, 1, 3, 4, size=(6, 8)).shape == (8, 6, 3)
    with pytest.raises(MXNetError, match='not inside the image'):
        image.fixed_crop(x, 6, 0, 3, 2)
    out, region = image.center_crop(x, (4, 2))
    assert region == (2, 2, 4, 2)
    np.testing.assert_array_equal(out.asnumpy(), a[2:4, 2:6])
    mx.random.seed(0)
    for _ in range(5):
        out, (x0, y0, w, h) = image.random_crop(x, (3, 3))
        np.testing.assert_array_equal(out.asnumpy(), a[y0:y0 + 3, x0:x0 + 3])
    out, (x0, y0, w, h) = image.random_size_crop(x, (4, 4), (0.3, 0.6), (0.5, 2))
    assert out.shape == (4, 4, 3) and 0.2 * 48 <= w * h <= 0.7 * 48
    # An area no crop can have falls back to the centre crop.
    _, region = image.random_size_crop(x, (2, 2), (2.0, 3.0), (1, 1))
    assert region == image.center_crop(x, (2, 2))[1]


def test_color_normalize_in_place():
    x = nd.array(rand_image(2, 2, 3, 0, np.float32))
    before = x.asnumpy()
    out = image.color_normalize(x, nd.array([0.1, 0.2, 0.3]), nd.array([2, 2, 4]))
    assert out is x
    np.testing.assert_allclose(x.asnumpy(), (before - [0.1, 0.2, 0.3]) / [2, 2, 4], rtol=1e-6)


# ---------------------------------------------------------- transforms --

def test_to_tensor_and_normalize():
    a = rand_image(4, 5)
    t = T.ToTensor()(nd.array(a, dtype='uint8'))
    assert t.shape == (3, 4, 5) and t.dtype == np.float32
    np.testing.assert_allclose(t.asnumpy(), a.transpose(2, 0, 1) / np.float32(255), rtol=1e-7)
    batch = T.ToTensor()(nd.array(np.stack([a, a]), dtype='uint8'))
    assert batch.shape == (2, 3, 4, 5)
    assert T.ToTensor()(a).shape == (3, 4, 5)
    with pytest.raises(MXNetError, match=r'ToTensor: expected an image \(H, W, C\)'):
        T.ToTensor()(nd.ones((2, 3)))
    norm = T.Normalize(mean=(0.1, 0.2, 0.3), std=(0.5, 1, 2))
    mean = np.array([0.1, 0.2, 0.3], np.float32).reshape(3, 1, 1)
    std = np.array([0.5, 1, 2], np.float32).reshape(3, 1, 1)
    np.testing.assert_allclose(norm(t).asnumpy(), (t.asnumpy() - mean) / std, rtol=1e-6)
    np.testing.assert_allclose(norm(batch).asnumpy()[1], (t.asnumpy() - mean) / std,
                               rtol=1e-6)
    with pytest.raises(MXNetError, match='mean must have either 1 or 3 elements'):
        T.Normalize((1, 2), (1, 1))(t)
    assert T.Cast('float16')(t).dtype == np.float16


def test_flips_are_seeded():
    a = rand_image(3, 4)
    x = nd.array(a, dtype='uint8')
    for cls, flipped in ((T.RandomFlipLeftRight, a[:, ::-1]), (T.RandomFlipTopBottom, a[::-1])):
        mx.random.seed(4)
        outs = [cls()(x).asnumpy() for _ in range(30)]
        assert all((o == a).all() or (o == flipped).all() for o in outs)
        n_flipped = sum((o == flipped).all() for o in outs)
        assert 5 < n_flipped < 25
        mx.random.seed(4)
        assert all((cls()(x).asnumpy() == o).all() for o in outs)
    with pytest.raises(MXNetError, match='expected an image'):
        T.RandomFlipLeftRight()(nd.zeros((2, 3, 4, 3)))


def test_resize_and_crops():
    a = rand_image(4, 6)
    x = nd.array(a, dtype='uint8')
    assert T.Resize(3)(x).shape == (3, 3, 3)
    assert T.Resize(3, keep_ratio=True)(x).shape == (3, 4, 3)
    assert T.Resize(3, keep_ratio=True)(nd.zeros((7, 5, 1))).shape == (4, 3, 1)
    out = T.Resize((5, 2), interpolation=1)(x)
    np.testing.assert_array_equal(out.asnumpy(), image.imresize(x, 5, 2).asnumpy())
    batch = T.Resize((5, 2))(nd.array(np.stack([a, a[::-1]]), dtype='uint8'))
    assert batch.shape == (2, 2, 5, 3)
    np.testing.assert_array_equal(batch[0].asnumpy(), out.asnumpy())
    np.testing.assert_array_equal(T.CenterCrop(2)(x).asnumpy(), a[1:3, 2:4])
    full = T.RandomResizedCrop((3, 2), scale=(1, 1), ratio=(1.5, 1.5))(x)
    np.testing.assert_array_equal(full.asnumpy(), image.imresize(x, 3, 2).asnumpy())
    crop = T.CropResize(1, 0, 2, 3)(nd.array(np.stack([a, a]), dtype='uint8'))
    np.testing.assert_array_equal(crop.asnumpy()[1], a[0:3, 1:3])
    pipeline = T.Compose([T.Resize(2), T.ToTensor()])
    assert pipeline(x).shape == (3, 2, 2) and pipeline._batchable and len(pipeline) == 2
    assert not T.Compose([T.RandomFlipLeftRight(), T.ToTensor()])._batchable


def test_colour_jitter_formulas():
    a = rand_image(4, 5, 3, 2, np.float32) * 255
    x = nd.array(a)
    gray = a @ np.array([0.299, 0.587, 0.114])
    mx.random.seed(7)
    b = T.RandomBrightness(0.5)(x).asnumpy()
    f = b[0, 0, 0] / a[0, 0, 0]
    assert 0.5 <= f <= 1.5
    np.testing.assert_allclose(b, a * f, rtol=1e-5)
    c = T.RandomContrast(0.5)(x).asnumpy()
    f = (c[0, 0, 0] - c[1, 1, 1]) / (a[0, 0, 0] - a[1, 1, 1])
    np.testing.assert_allclose(c, a * f + gray.mean() * (1 - f), rtol=1e-4)
    s = T.RandomSaturation(0.5)(x).asnumpy()
    f = (s[0, 0, 0] - s[0, 0, 1]) / (a[0, 0, 0] - a[0, 0, 1])
    np.testing.assert_allclose(s, a * f + gray[..., None] * (1 - f), rtol=1e-4)
    light = T.RandomLighting(0.1)(x).asnumpy() - a
    np.testing.assert_allclose(light, np.broadcast_to(light[0, 0], light.shape), atol=1e-3)
    jitter = T.RandomColorJitter(0.3, 0.3, 0.3, 0.1)(x)
    assert jitter.shape == (4, 5, 3) and jitter.dtype == np.float32
    np.testing.assert_allclose(T.RandomHue(0)(x).asnumpy(), a, atol=1e-3)


def test_hue_rotation():
    red = np.array([[[255.0, 0, 0]]], np.float32)
    np.testing.assert_allclose(_rotate_hue(red, 1 / 3, np), [[[0, 255, 0]]], atol=1e-3)
    np.testing.assert_allclose(_rotate_hue(red, 2 / 3, np), [[[0, 0, 255]]], atol=1e-3)
    # Hue 326.4 degrees turned by half a circle: the max and min channels swap roles.
    pixel = np.array([[[172.0, 47, 117]]], np.float32)
    np.testing.assert_allclose(_rotate_hue(pixel, 0.5, np), [[[47, 172, 102]]], atol=1e-3)
    np.testing.assert_allclose(_rotate_hue(pixel, 1.0, np), pixel, atol=1e-3)


# ---------------------------------------------------------------- text --

def test_count_tokens():
    c = text_utils.count_tokens_from_str('*Life*is*great*!*\n*life*is*good*.*\n', '\\*', '\n')
    assert c == collections.Counter({'is': 2, 'Life': 1, 'life': 1, 'great': 1, '!': 1,
                                     'good': 1, '.': 1})
    text_utils.count_tokens_from_str('is good', counter_to_update=c)
    assert c['is'] == 3 and c['good'] == 2


def test_vocabulary():
    counter = collections.Counter({'c': 3, 'a': 3, 'b': 1, 'd': 2, '<pad>': 9})
    v = vocab.Vocabulary(counter, reserved_tokens=['<pad>', '<bos>'])
    assert v.idx_to_token == ['<unk>', '<pad>', '<bos>', 'a', 'c', 'd', 'b']
    assert v.token_to_idx['d'] == 5 and len(v) == 7
    assert v.to_indices('zz') == 0 and v.to_indices(['b', 'a']) == [6, 3]
    assert v.to_tokens(4) == 'c' and v.to_tokens([0, 1]) == ['<unk>', '<pad>']
    assert v.unknown_token == '<unk>' and v.reserved_tokens == ['<pad>', '<bos>']
    assert vocab.Vocabulary(counter, most_freq_count=2).idx_to_token == ['<unk>', '<pad>', 'a']
    assert vocab.Vocabulary(counter, min_freq=3).idx_to_token == ['<unk>', '<pad>', 'a', 'c']
    with pytest.raises(ValueError, match='invalid'):
        v.to_tokens(7)
    with pytest.raises(MXNetError, match='unknown_token'):
        vocab.Vocabulary(reserved_tokens=['<unk>'])
    with pytest.raises(MXNetError, match='duplicates'):
        vocab.Vocabulary(reserved_tokens=['x', 'x'])
    with pytest.raises(MXNetError, match='Counter'):
        vocab.Vocabulary({'a': 1})


def write_vectors(path, text):
    path.write_text(text, encoding='utf8')
    return str(path)


def test_custom_embedding(tmp_path):
    path = write_vectors(tmp_path / 'v.txt', '3 2\nhello 1 2\nworld 3 4\n<unk> 9 9\n'
                                               'hello 5 5\n')
    with pytest.warns(UserWarning):
        emb = embedding.CustomEmbedding(path)
    assert emb.idx_to_token == ['<unk>', 'hello', 'world'] and emb.vec_len == 2
    np.testing.assert_array_equal(emb.idx_to_vec.asnumpy(), [[9, 9], [1, 2], [3, 4]])
    assert emb.get_vecs_by_tokens('world').shape == (2,)
    np.testing.assert_array_equal(emb.get_vecs_by_tokens(['World', 'x'], True).asnumpy(),
                                  [[3, 4], [9, 9]])
    emb.update_token_vectors(['hello', 'world'], nd.array([[0, 1], [1, 0]]))
    np.testing.assert_array_equal(emb.idx_to_vec.asnumpy()[1:], [[0, 1], [1, 0]])
    emb.update_token_vectors('<unk>', nd.array([7, 7]))
    assert emb.get_vecs_by_tokens('nope').asnumpy().tolist() == [7, 7]
    with pytest.raises(ValueError, match='unknown'):
        emb.update_token_vectors('nope', nd.array([1, 1]))
    with pytest.raises(MXNetError, match='shape'):
        emb.update_token_vectors(['hello'], nd.array([[1, 2, 3]]))
    bad = write_vectors(tmp_path / 'bad.txt', 'a 1 2\nb 1 2 3\n')
    with pytest.raises(MXNetError, match='line 2.*3 values'):
        embedding.CustomEmbedding(bad)


def test_embedding_with_vocabulary(tmp_path):
    path = write_vectors(tmp_path / 'v.csv', 'a,1,2\nb,3,4\nc,5,6\n')
    v = vocab.Vocabulary(collections.Counter(['c', 'c', 'z']), reserved_tokens=['<pad>'])
    emb = embedding.CustomEmbedding(path, elem_delim=',', vocabulary=v,
                                    init_unknown_vec=nd.ones)
    assert emb.idx_to_token == ['<unk>', '<pad>', 'c', 'z']
    np.testing.assert_array_equal(emb.idx_to_vec.asnumpy(), [[1, 1], [1, 1], [5, 6], [1, 1]])
    comp = embedding.CompositeEmbedding(v, [emb, emb])
    assert comp.vec_len == 4 and comp.idx_to_vec.shape == (4, 4)


def test_glove_and_fasttext_from_local_files(tmp_path, monkeypatch):
    (tmp_path / 'glove').mkdir()
    write_vectors(tmp_path / 'glove' / 'glove.6B.50d.txt', 'the 0.5 0.25\nof 1 2\n')
    glove = embedding.create('glove', pretrained_file_name='glove.6B.50d.txt',
                             embedding_root=str(tmp_path))
    assert isinstance(glove, embedding.GloVe) and glove.idx_to_token[1:] == ['the', 'of']
    (tmp_path / 'fasttext').mkdir()
    write_vectors(tmp_path / 'fasttext' / 'wiki.xx.vec', '2 3\nx 1 2 3\ny 4 5 6\n')
    with pytest.warns(UserWarning, match='header'):
        ft = embedding.FastText('wiki.xx.vec', embedding_root=str(tmp_path))
    assert ft.vec_len == 3 and len(ft) == 3
    assert 'glove.6B.50d.txt' in embedding.get_pretrained_file_names()['glove']
    with pytest.raises(KeyError, match='wiki.xx.vec'):
        embedding.FastText('wiki.xx.vec', embedding_root=str(tmp_path / 'empty'))
    monkeypatch.setenv('MXLEARN_DATASET_URL', 'http://127.0.0.1:9/')
    monkeypatch.setattr(gluon_utils.time, 'sleep', lambda seconds: None)
    with pytest.raises(MXNetError, match='could not be downloaded'):
        embedding.GloVe('glove.6B.100d.txt', embedding_root=str(tmp_path))
    with pytest.raises(KeyError, match='Cannot find token embedding'):
        embedding.create('word2vec')
