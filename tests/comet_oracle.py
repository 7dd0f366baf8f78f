"""The reference implementation, run in its own virtual environment (unbabel-comet pins transformers<5 and
numpy<2): builds tiny COMET checkpoints the way COMET and Lightning write them, and scores with COMET itself.

    python comet_oracle.py build OUT_DIR --kind regression|unified --encoder XLMR_DIR [--seed N]
    python comet_oracle.py score MODEL_DIR DATA.json --batch-size N      # prints a JSON list of scores

This file is run only by that environment's Python (tests/test_comet.py starts it); it imports nothing of
seedmt."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def build(out: Path, kind: str, encoder: Path, seed: int, layer_transformation: str, layer_norm: bool) -> None:
    """A COMET model of `kind` over the tiny XLM-R in `encoder` (its config and tokenizer; COMET takes the
    weights from the checkpoint), random weights, saved by Lightning's Trainer."""
    import pytorch_lightning as pl
    import torch
    import yaml
    from comet.models import RegressionMetric, UnifiedMetric

    torch.manual_seed(seed)
    common = dict(pretrained_model=str(encoder), load_pretrained_weights=False, hidden_sizes=[24, 16],
                  layer_transformation=layer_transformation, layer_norm=layer_norm, dropout=0.1,
                  nr_frozen_epochs=0.0, keep_embeddings_frozen=False)
    if kind == "regression":
        model = RegressionMetric(pool="avg", layer="mix", **common)
    else:
        model = UnifiedMetric(sent_layer="mix", word_layer=2, word_level_training=False,
                              input_segments=["mt", "src"], final_activation=None, **common)
    with torch.no_grad():  # random but distinct layer weights, so that the mixture matters
        for k, parameter in enumerate(model.layerwise_attention.scalar_parameters):
            parameter.fill_(float(torch.randn(1)) + 0.3 * k)
        model.layerwise_attention.gamma.fill_(1.3)
        # Tiny random layers give nearly equal scores; a larger output layer spreads them well beyond 1e-5.
        model.estimator.ff[-1].weight.mul_(10.0)
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, accelerator="cpu",
                         devices=1)
    trainer.strategy.connect(model)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    trainer.save_checkpoint(str(out / "checkpoints" / "model.ckpt"))
    (out / "hparams.yaml").write_text(yaml.dump({**dict(model.hparams)}), encoding="utf-8")


def lightning_dict(checkpoint: Path, out: Path) -> None:
    """The checkpoint with its hyper-parameters in Lightning's own AttributeDict, as older releases wrote."""
    import torch
    from pytorch_lightning.utilities.parsing import AttributeDict

    data = torch.load(checkpoint, map_location="cpu", weights_only=False)
    data["hyper_parameters"] = AttributeDict(data["hyper_parameters"])
    torch.save(data, out)


def score(model_dir: Path, data: Path, batch_size: int) -> None:
    from comet import load_from_checkpoint

    model = load_from_checkpoint(str(model_dir / "checkpoints" / "model.ckpt"))
    samples = json.loads(data.read_text(encoding="utf-8"))
    output = model.predict(samples, batch_size=batch_size, gpus=0, progress_bar=False)
    json.dump({"scores": [float(s) for s in output.scores], "system_score": float(output.system_score)},
              sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("out", type=Path)
    b.add_argument("--kind", choices=["regression", "unified"], required=True)
    b.add_argument("--encoder", type=Path, required=True)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--layer-transformation", default="sparsemax")
    b.add_argument("--layer-norm", action="store_true")
    d = sub.add_parser("lightning-dict")
    d.add_argument("checkpoint", type=Path)
    d.add_argument("out", type=Path)
    s = sub.add_parser("score")
    s.add_argument("model_dir", type=Path)
    s.add_argument("data", type=Path)
    s.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    if args.command == "build":
        build(args.out, args.kind, args.encoder, args.seed, args.layer_transformation, args.layer_norm)
    elif args.command == "lightning-dict":
        lightning_dict(args.checkpoint, args.out)
    else:
        score(args.model_dir, args.data, args.batch_size)


if __name__ == "__main__":
    main()
