"""Zenith through NVIDIA's own Python client, tritonclient[http]: health, metadata, config,
repository, statistics and inference (JSON and binary tensors, classification) on every model
of the repository (all take Fashion-MNIST images), with real test images checked against
their real labels.

The fixture starts `zenith serve` (conftest.zenith_server) on the repository's models.
"""

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import INPUT, MODELS, OUTPUT, RELAXED, ROOT, batch_of, zenith_server


@pytest.fixture(scope="module")
def server():
    with zenith_server(ROOT / "Models", "--workers", "1", "--model-control", "explicit") as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    with httpclient.InferenceServerClient(url=server) as client:
        yield client


def test_health(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    for model in MODELS:
        assert client.is_model_ready(model)
        assert client.is_model_ready(model, model_version="1")
    assert not client.is_model_ready("no-such-model")


def test_server_and_model_metadata(client):
    server = client.get_server_metadata()
    assert server["name"] == "zenith"
    assert "binary_tensor_data" in server["extensions"]
    for model, dims in MODELS.items():
        metadata = client.get_model_metadata(model)
        assert metadata["name"] == model
        assert metadata["versions"] == ["1"]
        assert metadata["inputs"] == [{"name": INPUT[model], "datatype": "FP32", "shape": [-1] + dims}]
        assert metadata["outputs"] == [{"name": OUTPUT[model], "datatype": "FP32", "shape": [-1, 10]}]


def test_model_config(client):
    for model, dims in MODELS.items():
        config = client.get_model_config(model)
        assert config["name"] == model
        assert config["max_batch_size"] == 32
        assert config["input"][0]["data_type"] == "TYPE_FP32"
        assert config["input"][0]["dims"] == dims
        assert config["output"][0]["dims"] == [10]
        assert len(config["zenith"]["plans"]) > 1


def test_repository_index(client):
    index = client.get_model_repository_index()
    assert [(entry["name"], entry["state"]) for entry in index] == [(name, "READY") for name in sorted(MODELS)]


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_infer_real_test_images(client, test_set, model, binary):
    correct = 0
    total = 0
    for start in range(0, 64, 16):
        x, labels = batch_of(test_set, model, start, 16)
        tensor = httpclient.InferInput(INPUT[model], list(x.shape), "FP32")
        tensor.set_data_from_numpy(x, binary_data=binary)
        result = client.infer(
            model, [tensor], outputs=[httpclient.InferRequestedOutput(OUTPUT[model], binary_data=binary)],
            request_id=f"{model}-{start}", headers=dict(RELAXED))
        logits = result.as_numpy(OUTPUT[model])
        assert logits.shape == (16, 10) and logits.dtype == np.float32
        response = result.get_response()
        assert response["id"] == f"{model}-{start}"
        parameters = response["parameters"]
        assert parameters["plan"] and parameters["slo_met"] is True
        assert 0 < parameters["expected_accuracy"] <= 1
        correct += int((logits.argmax(axis=1) == labels).sum())
        total += len(labels)
    assert correct / total >= 0.8, f"{model}: {correct} of {total} correct"


def test_default_outputs_come_back_binary(client, test_set):
    # tritonclient asks for binary_data_output when no outputs are named.
    x, labels = batch_of(test_set, "fashion-mlp", 200, 8)
    tensor = httpclient.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("fashion-mlp", [tensor], headers=dict(RELAXED))
    assert result.get_output("logits")["parameters"]["binary_data_size"] == 8 * 10 * 4
    assert (result.as_numpy("logits").argmax(axis=1) == labels).sum() >= 6


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_classification(client, test_set, binary):
    x, labels = batch_of(test_set, "fashion-cnn", 300, 16)
    tensor = httpclient.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=True)
    result = client.infer(
        "fashion-cnn", [tensor], outputs=[httpclient.InferRequestedOutput("logits", binary_data=binary, class_count=3)],
        headers=dict(RELAXED))
    top = result.as_numpy("logits")
    assert top.shape == (16, 3)
    entries = [(value.decode() if isinstance(value, bytes) else value).split(":") for value in top[:, 0]]
    predicted = np.array([int(index) for _, index, _ in entries])
    assert all(label for _, _, label in entries)
    assert (predicted == labels).mean() >= 0.75


def test_slo_parameters_and_impossible_targets(client, test_set):
    x, _ = batch_of(test_set, "fashion-mlp", 0, 1)
    tensor = httpclient.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("fashion-mlp", [tensor], parameters={"latency_target_ms": 60000, "accuracy_target": 0.5})
    assert result.get_response()["parameters"]["slo_met"] is True
    with pytest.raises(InferenceServerException) as error:
        client.infer("fashion-mlp", [tensor], parameters={"accuracy_target": 1.5})
    assert error.value.status() == "400" and "accuracy_target" in error.value.message()


def test_bad_requests_get_4xx_and_a_reason(client, test_set):
    x, _ = batch_of(test_set, "fashion-mlp", 0, 2)
    wrong_shape = httpclient.InferInput("input", [2, 28, 28], "FP32")
    wrong_shape.set_data_from_numpy(x.reshape(2, 28, 28))
    wrong_type = httpclient.InferInput("input", [2, 784], "FP64")
    wrong_type.set_data_from_numpy(x.astype(np.float64))
    wrong_name = httpclient.InferInput("pixels", [2, 784], "FP32")
    wrong_name.set_data_from_numpy(x)
    for model, tensor, status, phrase in [
        ("fashion-mlp", wrong_shape, "400", "shape"),
        ("fashion-mlp", wrong_type, "400", "datatype FP64"),
        ("fashion-mlp", wrong_name, "400", "unknown input 'pixels'"),
        ("no-such-model", wrong_shape, "404", "unknown model"),
    ]:
        with pytest.raises(InferenceServerException) as error:
            client.infer(model, [tensor], headers=dict(RELAXED))
        assert error.value.status() == status
        assert phrase in error.value.message()
    # The server is still serving.
    good = httpclient.InferInput("input", [2, 784], "FP32")
    good.set_data_from_numpy(x)
    assert client.infer("fashion-mlp", [good], headers=dict(RELAXED)).as_numpy("logits").shape == (2, 10)


def test_statistics(client):
    stats = client.get_inference_statistics("fashion-mlp")["model_stats"][0]
    assert stats["name"] == "fashion-mlp"
    assert stats["inference_count"] > 0
    assert stats["inference_stats"]["success"]["count"] > 0


def test_metrics_speak_prometheus_and_triton(server, client):
    """/metrics: Zenith's families, Triton's nv_inference_* counters agreeing with the statistics
    tritonclient reads, and the standard process_* families, each with # HELP."""
    import urllib.request

    text = urllib.request.urlopen(f"http://{server}/metrics", timeout=30).read().decode()

    def value(name, model):
        for line in text.splitlines():
            if line.startswith(name + "{") and f'model="{model}"' in line:
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"{name} for {model} missing")

    stats = client.get_inference_statistics("fashion-mlp")["model_stats"][0]
    assert value("nv_inference_request_success", "fashion-mlp") >= stats["inference_stats"]["success"]["count"] > 0
    assert value("nv_inference_count", "fashion-mlp") >= stats["inference_count"] > 0
    assert value("nv_inference_exec_count", "fashion-mlp") > 0
    assert value("nv_inference_compute_infer_duration_us", "fashion-mlp") > 0
    for family in ("zenith_requests_total", "nv_inference_request_success", "process_cpu_seconds_total",
                   "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"):
        assert f"# HELP {family} " in text, family
    rss = next(float(line.split()[1]) for line in text.splitlines() if line.startswith("process_resident_memory_bytes "))
    assert rss > 10 << 20
