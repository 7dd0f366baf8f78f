"""COMET without unbabel-comet: the released checkpoints, read and run on transformers 5 and torch.

A COMET model is a folder with `hparams.yaml` and `checkpoints/model.ckpt`, a PyTorch Lightning checkpoint of
an XLM-R-family encoder, a layer-wise attention mixing its layers, and a feed-forward estimator. Two classes:

- `regression_metric` (wmt22-comet-da, reference-based): source, translation and reference are encoded
  separately, each mixed over the layers and average-pooled; the estimator reads
  [mt, ref, mt*ref, |mt-ref|, mt*src, |mt-src|].
- `unified_metric` (wmt22-cometkiwi-da, reference-free): translation and source are encoded as one sequence
  (`<s> mt </s></s> src </s>`), mixed over the layers, and the estimator reads the first token.

Everything follows COMET 2.2's code (the test suite checks the segment scores against COMET itself, run in its
own environment, to 1e-5): the tokenizer truncates each text to the encoder's positions minus 4, the
layer-wise attention uses softmax or sparsemax over its scalar weights (dropout is off at inference), and the
system score is the mean of the segment scores.

The checkpoint is read with `torch.load(weights_only=True)`; the only non-tensor objects allowed are the few
that Lightning writes beside the tensors (its `AttributeDict` of hyper-parameters), rebuilt as plain dicts.
Anything else is refused with a message: a checkpoint is never unpickled in full.

The encoder's architecture and tokenizer come from `pretrained_model` in hparams.yaml (a Hub id, looked up in
the local Hugging Face cache, or a folder), or from an `encoder/` folder inside the model folder."""
from __future__ import annotations

import math
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch

from seedmt.core.errors import ModelNotAvailableError, SeedMTError
from seedmt.eval.metrics import DEFAULT_COMET

CHECKPOINT = Path("checkpoints") / "model.ckpt"
# Where Lightning's AttributeDict has lived; it is a dict with attribute access, nothing more.
LIGHTNING_DICTS = ("pytorch_lightning.utilities.parsing.AttributeDict",
                   "lightning.pytorch.utilities.parsing.AttributeDict",
                   "lightning_fabric.utilities.data.AttributeDict", "lightning.fabric.utilities.data.AttributeDict")


class CometModelError(SeedMTError):
    """A COMET model folder that cannot be used."""


# --- finding and reading a model ------------------------------------------------------------------------------

def resolve_comet(name_or_path: str) -> Path:
    """The model folder: a local folder as is, or a Hub id from the local Hugging Face cache (or the Hub, when
    online). Offline and not cached: ModelNotAvailableError naming the model and how to pass a folder."""
    local = Path(name_or_path).expanduser()
    if local.exists():
        if not (local / "hparams.yaml").is_file() or not (local / CHECKPOINT).is_file():
            raise CometModelError(f"{local}: not a COMET model folder (needs hparams.yaml and {CHECKPOINT})")
        return local
    from huggingface_hub import snapshot_download

    patterns = ["hparams.yaml", str(CHECKPOINT), "encoder/*"]
    try:
        return Path(snapshot_download(name_or_path, allow_patterns=patterns, local_files_only=True))
    except Exception:  # noqa: BLE001 - any cache miss means: try the Hub, or say how to get the model
        if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}:
            raise ModelNotAvailableError(_missing(name_or_path, "HF_HUB_OFFLINE is set and it is not cached")) from None
    try:
        return Path(snapshot_download(name_or_path, allow_patterns=patterns))
    except Exception as err:  # noqa: BLE001
        raise ModelNotAvailableError(_missing(name_or_path, f"the Hub could not be reached ({type(err).__name__})")) \
            from None


def _missing(name: str, reason: str) -> str:
    return (f"COMET model '{name}' is not available: {reason}. Pass a local folder instead "
            f"(--comet-model /path/to/model, holding hparams.yaml and {CHECKPOINT}); with network access, "
            f"`hf download {name}` puts it in the cache. Its encoder (hparams.yaml's pretrained_model) must be "
            "in the cache too, or in an encoder/ folder beside hparams.yaml.")


def read_checkpoint(path: Path) -> dict:
    """`torch.load(weights_only=True)`, allowing Lightning's AttributeDict, rebuilt as a plain dict (the name is
    mapped to `dict`: no Lightning code runs), and nothing else."""
    with torch.serialization.safe_globals([(dict, name) for name in LIGHTNING_DICTS]):
        try:
            try:  # memory-mapped: the weights are read once, into the model, not held twice
                return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError as err:
                if "mmap" not in str(err):
                    raise
                return torch.load(path, map_location="cpu", weights_only=True)  # an old, non-zip checkpoint
        except pickle.UnpicklingError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise CometModelError(f"{path}: holds objects other than tensors and Lightning's hyper-parameters, "
                                  f"which seedmt does not unpickle ({first})") from None
        except (OSError, RuntimeError, EOFError) as err:
            raise CometModelError(f"{path}: not a readable checkpoint ({err})") from None


def read_hparams(folder: Path) -> dict:
    import yaml

    try:
        hparams = yaml.safe_load((folder / "hparams.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise CometModelError(f"{folder / 'hparams.yaml'}: {err}") from None
    if not isinstance(hparams, dict) or hparams.get("class_identifier") not in ("regression_metric", "unified_metric"):
        raise CometModelError(f"{folder / 'hparams.yaml'}: class_identifier "
                              f"'{(hparams or {}).get('class_identifier')}' is not one seedmt runs "
                              "(regression_metric, unified_metric)")
    return hparams


def _encoder_folder(folder: Path, pretrained_model: str) -> Path:
    if (folder / "encoder" / "config.json").is_file():
        return folder / "encoder"
    local = Path(pretrained_model).expanduser()
    if local.is_dir():
        return local
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(pretrained_model, local_files_only=True,
                                      allow_patterns=["config.json", "tokenizer*", "sentencepiece*"]))
    except Exception:  # noqa: BLE001
        raise ModelNotAvailableError(
            f"COMET model {folder} needs its encoder's configuration and tokenizer ('{pretrained_model}'), which "
            "are not in the Hugging Face cache; download them once (`hf download "
            f"{pretrained_model} config.json tokenizer.json sentencepiece.bpe.model`) or put them in "
            f"{folder / 'encoder'}") from None


# --- the model --------------------------------------------------------------------------------------------------

def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Euclidean projection of a 1-D tensor onto the probability simplex (Martins & Astudillo 2016)."""
    z_sorted, _ = torch.sort(z, descending=True)
    cumulative = z_sorted.cumsum(0)
    k = torch.arange(1, len(z) + 1, dtype=z.dtype)
    support = 1 + k * z_sorted > cumulative
    k_z = int(support.sum())
    tau = (cumulative[k_z - 1] - 1) / k_z
    return torch.clamp(z - tau, min=0)


class LayerwiseAttention(torch.nn.Module):
    """gamma * sum_k w_k * layer_k, w = softmax or sparsemax of the scalar weights; optionally each layer
    normalised over its unmasked tokens first (COMET's `layer_norm`)."""

    def __init__(self, num_layers: int, transformation: str, layer_norm: bool) -> None:
        super().__init__()
        self.scalar_parameters = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.zeros(1)) for _ in range(num_layers)])
        self.gamma = torch.nn.Parameter(torch.ones(1))
        if transformation not in ("softmax", "sparsemax"):
            raise CometModelError(f"unknown layer_transformation '{transformation}' (softmax, sparsemax)")
        self.transform = (lambda w: torch.softmax(w, dim=0)) if transformation == "softmax" else sparsemax
        self.layer_norm = layer_norm

    def forward(self, layers: tuple[torch.Tensor, ...], mask: torch.Tensor) -> torch.Tensor:
        weights = self.transform(torch.cat(list(self.scalar_parameters)))
        if self.layer_norm:
            mask_float = mask.float()
            broadcast = mask_float.unsqueeze(-1)
            layers = tuple(_masked_layer_norm(layer, broadcast, mask_float) for layer in layers)
        return self.gamma * sum(weight * layer for weight, layer in zip(torch.split(weights, 1), layers))


def _masked_layer_norm(tensor: torch.Tensor, broadcast_mask: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    batch_size, _, dim = tensor.size()
    masked = tensor * broadcast_mask
    count = mask.sum(1) * dim
    mean = (masked.view(batch_size, -1).sum(1) / count).view(batch_size, 1, 1)
    variance = (((masked - mean) * broadcast_mask) ** 2).view(batch_size, -1).sum(1) / count
    return (tensor - mean) / torch.sqrt(variance + 1e-12).view(batch_size, 1, 1)


def feed_forward(in_dim: int, hidden_sizes: list[int], activation: str, final_activation: str | None) -> torch.nn.Sequential:
    """COMET's estimator, module for module (Linear, activation, Dropout, ...), so checkpoint keys match."""
    def act(name: str) -> torch.nn.Module:
        if not hasattr(torch.nn, name.title()):
            raise CometModelError(f"unknown activation '{name}'")
        return getattr(torch.nn, name.title())()

    modules: list[torch.nn.Module] = []
    sizes = [in_dim, *hidden_sizes]
    for a, b in zip(sizes[:-1], sizes[1:]):
        modules += [torch.nn.Linear(a, b), act(activation), torch.nn.Dropout(0.0)]
    modules.append(torch.nn.Linear(sizes[-1], 1))
    if final_activation:
        modules.append(act(final_activation))
    return torch.nn.Sequential(*modules)


@dataclass(frozen=True)
class CometTriple:
    src: str
    mt: str
    ref: str | None = None


class CometModel(torch.nn.Module):
    """One COMET model, ready to score (eval mode, dropout off)."""

    def __init__(self, folder: Path, hparams: dict, checkpoint: dict) -> None:
        super().__init__()
        from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel

        self.folder, self.hparams = folder, hparams
        self.kind = hparams["class_identifier"]
        encoder_folder = _encoder_folder(folder, str(hparams.get("pretrained_model", "")))
        config = XLMRobertaConfig.from_pretrained(str(encoder_folder))
        self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_folder), trust_remote_code=False)
        self.encoder = XLMRobertaModel(config, add_pooling_layer=False)
        self.max_positions = config.max_position_embeddings - 2
        layer = hparams.get("layer" if self.kind == "regression_metric" else "sent_layer", "mix")
        if layer != "mix":
            raise CometModelError(f"{folder}: layer '{layer}' (only the layer-wise mixture 'mix' is supported)")
        self.layerwise_attention = LayerwiseAttention(config.num_hidden_layers + 1,
                                                      hparams.get("layer_transformation", "softmax"),
                                                      bool(hparams.get("layer_norm", False)))
        width = config.hidden_size * (6 if self.kind == "regression_metric" else 1)
        self.estimator = feed_forward(width, list(hparams.get("hidden_sizes", [3072, 1024])),
                                      hparams.get("activations", "Tanh"), hparams.get("final_activation"))
        if self.kind == "regression_metric" and hparams.get("pool", "avg") not in ("avg", "cls"):
            raise CometModelError(f"{folder}: pool '{hparams.get('pool')}' (avg and cls are supported)")
        self.pool = hparams.get("pool", "avg")
        self.input_segments = list(hparams.get("input_segments", ["mt", "src", "ref"]))
        self._load(checkpoint["state_dict"])
        self.eval()

    def _load(self, state: dict) -> None:
        own: dict[str, torch.Tensor] = {}
        for key, tensor in state.items():
            if key.startswith("encoder.model."):
                own["encoder." + key[len("encoder.model."):]] = tensor
            elif key.startswith("layerwise_attention.") and "dropout" not in key:
                own[key] = tensor
            elif key.startswith("estimator.ff."):
                own["estimator." + key[len("estimator.ff."):]] = tensor
        missing, unexpected = self.load_state_dict(own, strict=False)
        # XLM-R's position_ids buffer is not always saved; every weight must be.
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise CometModelError(f"{self.folder}: checkpoint does not match its hparams.yaml "
                                  f"(missing {missing[:3]}, unexpected {unexpected[:3]})")

    @property
    def needs_references(self) -> bool:
        return self.kind == "regression_metric"

    @property
    def device(self) -> torch.device:
        return next(self.encoder.parameters()).device

    def _tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                                max_length=self.max_positions - 2)
        return {key: value.to(self.device) for key, value in inputs.items()}

    def _mixed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        layers = self.encoder(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True,
                              return_dict=True).hidden_states
        return self.layerwise_attention(layers, attention_mask)

    def _sentence_embedding(self, texts: list[str]) -> torch.Tensor:
        inputs = self._tokenize(texts)
        embeddings = self._mixed(inputs["input_ids"], inputs["attention_mask"])
        if self.pool == "cls":
            return embeddings[:, 0, :]
        keep = inputs["input_ids"].ne(self.tokenizer.pad_token_id).unsqueeze(-1).float()
        total = (embeddings * keep).sum(1)
        return total / inputs["attention_mask"].unsqueeze(-1).expand(embeddings.size()).float().sum(1)

    def _joint_input(self, first: list[str], second: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """`<s> a </s></s> b </s>`, cut to the encoder's positions (COMET's concat_sequences)."""
        a, b = self._tokenize(first)["input_ids"].cpu(), self._tokenize(second)["input_ids"].cpu()
        pad = self.tokenizer.pad_token_id
        rows = []
        for x, y in zip(a, b):
            x, y = x[x.ne(pad)].tolist(), y[y.ne(pad)].tolist()
            cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
            joined = [cls, *x[1:-1], sep, sep, *y[1:-1], sep]  # XLM-R's pair layout
            if len(x) - 2 + len(y) - 2 > self.max_positions - 5:
                joined = joined[:self.max_positions]
            rows.append(joined)
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.bool)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = True
        return ids.to(self.device), mask.to(self.device)

    @torch.inference_mode()
    def score_batch(self, triples: list[CometTriple]) -> list[float]:
        src, mt = [t.src for t in triples], [t.mt for t in triples]
        if self.kind == "regression_metric":
            if any(t.ref is None for t in triples):
                raise CometModelError(f"{self.folder}: a reference-based COMET model needs a reference for "
                                      "every segment (use cometkiwi for segments without one)")
            s, m, r = (self._sentence_embedding(x) for x in (src, mt, [t.ref for t in triples]))
            features = torch.cat((m, r, m * r, torch.abs(m - r), m * s, torch.abs(m - s)), dim=1)
            return self.estimator(features).view(-1).tolist()
        pairs = [(mt, src)] if "ref" not in self.input_segments or any(t.ref is None for t in triples) else None
        if pairs is None:
            raise CometModelError(f"{self.folder}: unified models with references are not supported")
        ids, mask = self._joint_input(*pairs[0])
        return self.estimator(self._mixed(ids, mask)[:, 0, :]).view(-1).tolist()

    def score(self, triples: list[CometTriple], batch_size: int = 16) -> list[float]:
        """Segment scores in input order; batches of sources of similar length, as COMET sorts them. On the
        CPU, torch uses this process's fair share of the cores (seedmt.core.threads), re-read every batch as
        other seedmt runs start and end."""
        from seedmt.core.threads import fair_share, process_registry, set_torch_threads

        order = sorted(range(len(triples)), key=lambda i: len(triples[i].src))
        scores: list[float] = [math.nan] * len(triples)
        with process_registry().translating():  # registered as working, so that other runs leave it its share
            for start in range(0, len(order), batch_size):
                if self.device.type == "cpu":
                    set_torch_threads(fair_share())
                batch = order[start:start + batch_size]
                for i, value in zip(batch, self.score_batch([triples[i] for i in batch])):
                    scores[i] = value
        return scores


def model_fingerprint(folder: Path) -> str:
    """Identifies a model's weights and settings without reading gigabytes: hparams.yaml, and the checkpoint's
    size with its first and last MiB."""
    import hashlib

    digest = hashlib.sha256((folder / "hparams.yaml").read_bytes())
    checkpoint = folder / CHECKPOINT
    size = checkpoint.stat().st_size
    with checkpoint.open("rb") as handle:
        digest.update(str(size).encode() + handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def load_comet(name_or_path: str = DEFAULT_COMET, device: str = "auto") -> CometModel:
    """The model, on `device` ("auto": the GPU when there is one, else the CPU)."""
    folder = resolve_comet(name_or_path)
    model = CometModel(folder, read_hparams(folder), read_checkpoint(folder / CHECKPOINT))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return model.to(device)


def system_score(scores: list[float]) -> float:
    """COMET's system score: the mean of the segment scores."""
    return sum(scores) / len(scores) if scores else math.nan
