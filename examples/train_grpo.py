"""Train a small LLM store manager with TRL's GRPO on this environment's tool calls.

Each dataset row is one scenario, ``task`` and ``seed``; TRL builds one ``InventoryToolEnv``
per rollout, calls ``reset(**row)`` (the opening text is appended to the prompt), lets the
model call ``order``/``set_shipping``/``set_price``/``liquidate``/``end_day``, and rewards each
rollout with ``get_reward()``: the month's unclamped graded score (0 = the passive floor,
1 = the perfect-information ceiling). The training seeds are not the tasks' default seeds,
which stay for evaluation (``inference.py``, ``/baseline``).

Needs a CUDA GPU and the ``trl`` extra (``pip install -e ".[trl]"``; vLLM optional)::

    python examples/train_grpo.py                      # Qwen3-0.6B, 200 steps, ./grpo-inventory
    python examples/train_grpo.py --model Qwen/Qwen3-1.7B --use-vllm --max-steps 500

A whole month is ~30 tool-calling turns; the completion budget (``--max-completion-length``)
bounds it, and a rollout that runs out of budget is scored on the whole month with the days
it did not reach played as do-nothing days.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from adapters.tasks import default_seed, task_names  # noqa: E402
from adapters.trl_env import InventoryToolEnv  # noqa: E402

INSTRUCTION = (
    "You are the store manager. Use the tools to run the store for the whole month, "
    "one end_day call per day, and make as much profit as you can."
)


def training_rows(tasks: list[str], seeds_per_task: int, first_seed: int = 0) -> list[dict]:
    """One row per scenario: the prompt, and the ``task``/``seed`` that ``reset`` receives."""
    default_seeds = {default_seed(task) for task in task_names()}
    rows = []
    for task in tasks:
        seeds = (s for s in itertools.count(first_seed) if s not in default_seeds)
        for seed in itertools.islice(seeds, seeds_per_task):
            rows.append(
                {"prompt": [{"role": "user", "content": INSTRUCTION}], "task": task, "seed": seed}
            )
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="Qwen/Qwen3-0.6B")
    parser.add_argument("--tasks", nargs="+", default=["easy", "medium", "hard"])
    parser.add_argument("--seeds-per-task", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=200)
    parser.add_argument("--num-generations", type=int, default=4)
    parser.add_argument("--max-completion-length", type=int, default=16384)
    parser.add_argument("--learning-rate", type=float, default=1e-6)
    parser.add_argument("--use-vllm", action="store_true", help="generate with vLLM (colocate)")
    parser.add_argument("--output-dir", default="grpo-inventory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from datasets import Dataset  # the trl extra; imported here so the rows are testable
    from trl import GRPOConfig, GRPOTrainer

    dataset = Dataset.from_list(training_rows(args.tasks, args.seeds_per_task))
    options: dict[str, Any] = {"vllm_mode": "colocate"} if args.use_vllm else {}
    config = GRPOConfig(
        output_dir=args.output_dir,
        max_steps=args.max_steps,
        learning_rate=args.learning_rate,
        num_generations=args.num_generations,
        per_device_train_batch_size=args.num_generations,
        gradient_accumulation_steps=4,
        max_completion_length=args.max_completion_length,
        max_tool_calling_iterations=40,  # 30 days, and room for a few extra turns
        gradient_checkpointing=True,
        bf16=True,
        logging_steps=1,
        log_completions=True,
        use_vllm=args.use_vllm,
        **options,
    )
    trainer = GRPOTrainer(
        model=args.model,
        args=config,
        train_dataset=dataset,
        environment_factory=InventoryToolEnv,  # its get_reward() is the reward
    )
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
