"""TRL's GRPOTrainer accepts ``InventoryToolEnv``: one real training step on the CPU, no download.

Not part of the test suite (it needs torch and trl, which are not dev dependencies). The
model is a tiny randomly initialised Qwen3 built here, with a word-level tokenizer trained
here and the Qwen3 chat template TRL ships (so TRL knows how to parse its tool calls). A
random model does not call tools, so this checks the wiring, not learning: TRL builds the
tool schemas, calls ``reset(**row)`` for every rollout, appends the opening text, generates,
calls ``get_reward()`` and takes an optimiser step. Run::

    pip install torch==2.13.0 "trl==1.16.*" datasets && pip install -e .
    python bench/trl_smoke.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

import trl  # noqa: E402
from datasets import Dataset  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from adapters.briefing import rules_text  # noqa: E402
from adapters.trl_env import InventoryToolEnv  # noqa: E402

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]
SPECIAL += ["<think>", "</think>", "<tool_response>", "</tool_response>"]


class CountingToolEnv(InventoryToolEnv):
    """Counts what TRL calls (class attributes: TRL makes one instance per rollout)."""

    resets: list[dict] = []
    rewards: list[float] = []

    def reset(self, **row):  # type: ignore[override]
        CountingToolEnv.resets.append({k: v for k, v in row.items() if k != "prompt"})
        return super().reset(**row)

    def get_reward(self) -> float:
        reward = super().get_reward()
        CountingToolEnv.rewards.append(reward)
        return reward


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    template = (Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja").read_text()
    corpus = [rules_text(task) for task in ("easy", "medium", "hard")] + [template]
    tokenizer = Tokenizer(models.WordLevel(unk_token="<|endoftext|>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
    )
    fast.chat_template = template
    return fast


def main() -> None:
    tokenizer = tiny_tokenizer()
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=32768,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen3ForCausalLM(config)
    rows = [
        {"prompt": [{"role": "user", "content": "Run the store."}], "task": task, "seed": seed}
        for task, seed in (("easy", 1), ("medium", 2))
    ]
    with tempfile.TemporaryDirectory() as output_dir:
        args = GRPOConfig(
            output_dir=output_dir,
            max_steps=1,
            num_generations=2,
            per_device_train_batch_size=2,
            max_completion_length=16,
            max_tool_calling_iterations=2,
            use_cpu=True,
            report_to=[],
            logging_steps=1,
            save_strategy="no",
        )
        trainer = GRPOTrainer(
            model=model,
            processing_class=tokenizer,
            args=args,
            train_dataset=Dataset.from_list(rows),
            environment_factory=CountingToolEnv,
        )
        tools = sorted(tool.__name__ for tool in trainer.tools)
        print("TRL tools:", tools)
        trainer.train()
    print("reset calls:", CountingToolEnv.resets)
    print("get_reward values:", [round(r, 4) for r in CountingToolEnv.rewards])
    print("trainer log:", trainer.state.log_history[-1])
    assert tools == ["end_day", "liquidate", "order", "set_price", "set_shipping"], tools
    assert CountingToolEnv.resets and CountingToolEnv.rewards
    print(f"OK: trl {trl.__version__} ran a GRPO step with InventoryToolEnv")


if __name__ == "__main__":
    main()
