"""The transformers backend on a tiny model that the test creates and saves locally."""

import pytest

from agents.chat_models import ChatModelError
from agents.chat_models.transformers_local import TransformersChatModel
from agents.emotion import EmotionAgent
from vocabulary.dialogue import Dialogue

CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<assistant> {% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = "<unk> <pad> </s> <user> <assistant> <system> { } \" : , label sad happy the traffic was".split()
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", eos_token="</s>"
    )
    fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(words), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
        pad_token_id=1, eos_token_id=2,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-llm")
    LlamaForCausalLM(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_a_local_model_generates_a_reply(tiny_model_dir):
    model = TransformersChatModel(tiny_model_dir, max_new_tokens=8)
    reply = model.complete([{"role": "user", "content": "the traffic was sad"}])
    assert isinstance(reply, str)


def test_the_agent_falls_back_when_a_local_model_talks_nonsense(tiny_model_dir):
    agent = EmotionAgent(TransformersChatModel(tiny_model_dir, max_new_tokens=8))
    result = agent.run(Dialogue("Today traffic was horrible and was so frustrating!"))
    assert result.policy == "llm"
    assert result.output == agent.embedded(Dialogue("Today traffic was horrible and was so frustrating!")).output
    assert result.fallbacks and result.prompt and result.raw_output is not None


def test_a_missing_model_folder_is_a_clear_backend_error(tmp_path):
    with pytest.raises(ChatModelError, match="not a model folder"):
        TransformersChatModel(tmp_path / "nowhere").complete([{"role": "user", "content": "hi"}])
