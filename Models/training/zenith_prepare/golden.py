"""golden.safetensors tensors: the reference inputs and every plan's outputs (the contract's
"golden.safetensors" section), computed by graph_ref."""
import numpy as np
import torch


def golden_tensors(module, plans, inputs, labels):
    """{tensor name: numpy array} for golden.safetensors.

    - Parameters: module: a `graph_ref.GraphModule`; plans: the config's plans (dense first);
      inputs: float32 [N, *input_dims]; labels: int [N].
    - Returns: `input` F32, `label` I64, `output.<plan>` F32 [N, classes], `exited.<plan>` U8 [N]
      (index+1 of the branch left at, 0 = none) for plans with exits, `filters.<plan>.<conv>`
      U8 [N, out] for plans with filters."""
    x = torch.as_tensor(np.asarray(inputs, dtype=np.float32))
    out = {"input": x.numpy().copy(), "label": np.asarray(labels, dtype=np.int64)}
    with torch.no_grad():
        for plan in plans:
            r = module.run(x, plan)
            name = plan["name"]
            out[f"output.{name}"] = r["logits"].numpy().astype(np.float32)
            if r["exited"] is not None:
                out[f"exited.{name}"] = r["exited"].numpy().astype(np.uint8)
            for conv, mask in r["filters"].items():
                out[f"filters.{name}.{conv}"] = mask.numpy().astype(np.uint8)
    return out
