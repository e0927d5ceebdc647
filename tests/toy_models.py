"""Models built in code for tests (importable from spawned worker processes too)."""


def build_toy_vocab_lm():
    """A 1-layer Llama over a 10-word vocabulary, so RL effects show within a few dozen steps."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["<pad>", "<eos>", "tweet", "a", "b", "c", "d", "e", "f", "g"])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>")
    tok.model_max_length = 64
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                      pad_token_id=0, eos_token_id=1, bos_token_id=0)
    model = LlamaForCausalLM(cfg)
    return model, tok


def save_scripted_judge(folder, answer: str = "Winner: tie") -> str:
    """A local judge model that always answers ``answer`` (greedy), saved with the packaged tokenizer.

    A bigram machine in Llama weights: attention and MLP outputs are zero, so the last hidden state is the
    current token's embedding; the embeddings give the answer's tokens (and the prompt's last token) one axis
    each, and the untied head maps each axis to the next token of the answer, the last one to EOS."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from polyreply.core.modeling import packaged_tokenizer
    tok = packaged_tokenizer()
    chain = tok("\n" + answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]   # "\n": ends the header
    assert len(set(chain)) == len(chain), "answer tokens must be distinct"
    hidden = 16
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                      tie_word_embeddings=False, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for norm in (model.model.norm, model.model.layers[0].input_layernorm,
                     model.model.layers[0].post_attention_layernorm):
            norm.weight.fill_(1.0)
        for axis, (token, nxt) in enumerate(zip(chain, chain[1:])):
            model.model.embed_tokens.weight[token, axis] = 1.0
            model.lm_head.weight[nxt, axis] = 10.0
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)
