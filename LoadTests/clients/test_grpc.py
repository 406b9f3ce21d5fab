"""Zenith over the KServe v2 gRPC protocol (`inference.GRPCInferenceService`), on the same port
as REST: NVIDIA's tritonclient[grpc], plain grpcio calls without reflection (messages from the
definitions tritonclient bundles), and HTTP/2 frames written by hand (h2) for what a gRPC client
will not send. Real Fashion-MNIST test images, checked against their real labels.

The fixture starts `zenith serve` (conftest.zenith_server) on the repository's models.
"""

import json
import socket
import urllib.error
import urllib.request

import grpc
import h2.config
import h2.connection
import h2.events
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2
from tritonclient.utils import InferenceServerException

from conftest import CONFIGS, INPUT, MODELS, OUTPUT, RELAXED, ROOT, batch_of, zenith_server

SERVICE = "/inference.GRPCInferenceService"


@pytest.fixture(scope="module")
def server():
    with zenith_server(ROOT / "Models", "--workers", "1", "--model-control", "explicit") as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    with grpcclient.InferenceServerClient(url=server) as client:
        yield client


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(server) as channel:
        yield channel


@pytest.fixture(scope="module")
def plans(client):
    """{model: [(plan, expected accuracy, predicted µs at max batch)]}, from the gRPC ModelConfig."""
    result = {}
    for model in MODELS:
        zenith = json.loads(client.get_model_config(model).config.parameters["zenith"].string_value)
        result[model] = [(p["name"], p["expected_accuracy"], p["predicted_us"][str(zenith["max_batch_size"])])
                         for p in zenith["plans"]]
    return result


def grpc_input(model, x):
    tensor = grpcclient.InferInput(INPUT[model], list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    return tensor


def parameters(response):
    """A ModelInferResponse's parameters as plain values."""
    return {key: getattr(value, value.WhichOneof("parameter_choice")) for key, value in response.parameters.items()}


def unary(channel, method, request_type=None, response_type=None):
    """A reflection-free call of `method`: serialised messages, or raw bytes without types."""
    return channel.unary_unary(
        f"{SERVICE}/{method}",
        request_serializer=request_type.SerializeToString if request_type else None,
        response_deserializer=response_type.FromString if response_type else None)


def h2_call(url, method, message, extra_headers=(), flag=0):
    """One gRPC call written frame by frame: `message` framed with compressed flag `flag`.
    Returns (response headers, response body, status fields): the trailers, or the headers of a
    trailers-only response."""
    host, port = url.split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", url),
                          (":path", f"{SERVICE}/{method}"), ("content-type", "application/grpc"),
                          ("te", "trailers"), *extra_headers])
    body = bytes([flag]) + len(message).to_bytes(4, "big") + message
    sent = 0
    while sent < len(body):
        window = min(conn.local_flow_control_window(1), conn.max_outbound_frame_size)
        if window <= 0:
            conn.receive_data(sock.recv(65536))
        else:
            chunk = body[sent:sent + window]
            sent += len(chunk)
            conn.send_data(1, chunk, end_stream=sent == len(body))
        sock.sendall(conn.data_to_send())
    headers, data, trailers, done = {}, b"", {}, False
    while not done:
        received = sock.recv(65536)
        assert received, "the server closed the connection"
        for event in conn.receive_data(received):
            if isinstance(event, h2.events.ResponseReceived):
                headers = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                data += event.data
            elif isinstance(event, h2.events.TrailersReceived):
                trailers = dict(event.headers)
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        sock.sendall(conn.data_to_send())
    sock.close()
    return headers, data, trailers or headers


def infer_request(model, x, **parameters):
    request = service_pb2.ModelInferRequest(model_name=model)
    request.inputs.add(name=INPUT[model], datatype="FP32", shape=list(x.shape))
    request.raw_input_contents.append(x.tobytes())
    for key, value in parameters.items():
        if isinstance(value, float):
            request.parameters[key].double_param = value
        elif isinstance(value, str):
            request.parameters[key].string_param = value
        else:
            request.parameters[key].int64_param = value
    return request


def test_health(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    for model in MODELS:
        assert client.is_model_ready(model)
        assert client.is_model_ready(model, model_version="1")
        assert not client.is_model_ready(model, model_version="7")
    assert not client.is_model_ready("no-such-model")


def test_server_and_model_metadata(client):
    server = client.get_server_metadata()
    assert server.name == "zenith"
    assert "statistics" in server.extensions
    for model, dims in MODELS.items():
        metadata = client.get_model_metadata(model)
        assert metadata.name == model and list(metadata.versions) == ["1"] and metadata.platform == "zenith"
        assert [(t.name, t.datatype, list(t.shape)) for t in metadata.inputs] == [(INPUT[model], "FP32", [-1] + dims)]
        assert [(t.name, t.datatype, list(t.shape)) for t in metadata.outputs] == [(OUTPUT[model], "FP32", [-1, 10])]
    with pytest.raises(InferenceServerException) as error:
        client.get_model_metadata("no-such-model")
    assert error.value.status() == "StatusCode.NOT_FOUND" and "unknown model" in error.value.message()


def test_model_config(client, plans):
    for model, dims in MODELS.items():
        config = client.get_model_config(model).config
        assert (config.name, config.platform, config.backend) == (model, "zenith", "zenith")
        assert config.max_batch_size == CONFIGS[model]["max_batch_size"]
        assert [(i.name, i.data_type, list(i.dims)) for i in config.input] == [(INPUT[model], 11, dims)]  # TYPE_FP32
        assert [(o.name, o.data_type, list(o.dims)) for o in config.output] == [(OUTPUT[model], 11, [10])]
        assert list(config.version_policy.specific.versions) == [1]
        assert config.instance_group[0].count >= 1
        assert len(plans[model]) > 1
    # The JSON form tritonclient offers reads it as well.
    assert client.get_model_config("fashion-mlp", as_json=True)["config"]["input"][0]["data_type"] == "TYPE_FP32"


def test_repository_index(client):
    index = client.get_model_repository_index()
    assert [(m.name, m.version, m.state) for m in index.models] == [(n, "1", "READY") for n in sorted(MODELS)]
    assert len(client.get_model_repository_index(as_json=True)["models"]) == len(MODELS)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_infer_real_test_images(client, test_set, plans, model):
    # The most accurate plans only: the accuracy measured is the model's, not a cheap plan's.
    best = max(accuracy for _, accuracy, _ in plans[model])
    dense = dict((name, accuracy) for name, accuracy, _ in plans[model])["dense"]
    correct = total = 0
    for start in range(0, 256, 32):
        x, labels = batch_of(test_set, model, start, 32)
        result = client.infer(model, [grpc_input(model, x)], request_id=f"{model}-{start}",
                              parameters={"latency_target_ms": 60000, "accuracy_target": best})
        logits = result.as_numpy(OUTPUT[model])
        assert logits.shape == (32, 10) and logits.dtype == np.float32
        response = result.get_response()
        assert response.id == f"{model}-{start}" and response.model_name == model and response.model_version == "1"
        p = parameters(response)
        assert p["slo_met"] is True and p["latency_target_ms"] == 60000
        assert p["expected_accuracy"] >= best and p["plan"]
        assert p["compute_us"] > 0 and p["total_us"] >= p["compute_us"]
        correct += int((logits.argmax(axis=1) == labels).sum())
        total += len(labels)
    print(f"{model}: {correct}/{total} = {correct / total:.3f} over gRPC (dense plan's validation accuracy "
          f"{dense:.3f})")
    assert correct / total >= dense - 0.06, f"{model}: {correct} of {total} correct"


def test_typed_contents_and_raw_contents_agree(channel, test_set):
    infer = unary(channel, "ModelInfer", service_pb2.ModelInferRequest, service_pb2.ModelInferResponse)
    x, labels = batch_of(test_set, "fashion-mlp", 500, 16)
    raw = infer(infer_request("fashion-mlp", x, latency_target_ms=60000.0, accuracy_target=0.85), timeout=60)
    typed_request = service_pb2.ModelInferRequest(model_name="fashion-mlp")
    typed_request.parameters["latency_target_ms"].double_param = 60000
    typed_request.parameters["accuracy_target"].double_param = 0.85
    tensor = typed_request.inputs.add(name="input", datatype="FP32", shape=[16, 784])
    tensor.contents.fp32_contents.extend(x.ravel().tolist())
    typed = infer(typed_request, timeout=60)
    raw_logits = np.frombuffer(raw.raw_output_contents[0], dtype="<f4").reshape(16, 10)
    typed_logits = np.frombuffer(typed.raw_output_contents[0], dtype="<f4").reshape(16, 10)
    assert [(o.name, o.datatype, list(o.shape)) for o in raw.outputs] == [("logits", "FP32", [16, 10])]
    if parameters(raw)["plan"] == parameters(typed)["plan"]:
        np.testing.assert_allclose(raw_logits, typed_logits, rtol=1e-5, atol=1e-5)
    assert (raw_logits.argmax(axis=1) == labels).sum() >= 12
    assert (typed_logits.argmax(axis=1) == labels).sum() >= 12


def test_classification(client, test_set):
    x, labels = batch_of(test_set, "fashion-cnn", 300, 16)
    result = client.infer("fashion-cnn", [grpc_input("fashion-cnn", x)], headers=dict(RELAXED),
                          outputs=[grpcclient.InferRequestedOutput("logits", class_count=3)])
    top = result.as_numpy("logits")
    assert top.shape == (16, 3)
    entries = [value.decode().split(":") for value in top[:, 0]]
    assert all(label for _, _, label in entries)
    assert (np.array([int(index) for _, index, _ in entries]) == labels).mean() >= 0.75


def test_slo_parameters_are_honoured(client, test_set):
    x, _ = batch_of(test_set, "fashion-mlp", 0, 1)
    result = client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)],
                          parameters={"latency_target_ms": 45000, "accuracy_target": 0.5})
    p = parameters(result.get_response())
    assert p["latency_target_ms"] == 45000 and p["slo_met"] is True and p["expected_accuracy"] >= 0.5
    # Metadata stands in for parameters, as headers do over REST.
    p = parameters(client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], headers=dict(RELAXED)).get_response())
    assert p["latency_target_ms"] == 60000
    for bad, phrase in [({"accuracy_target": 1.5}, "accuracy_target"), ({"slo_class": "platinum"}, "platinum"),
                        ({"latency_target_ms": -3}, "latency"), ({"accuracy_target": "high"}, "accuracy_target")]:
        with pytest.raises(InferenceServerException) as error:
            client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], parameters=bad)
        assert error.value.status() == "StatusCode.INVALID_ARGUMENT", bad
        assert phrase in error.value.message()
    # Triton's own `timeout` (µs) and `priority` are read as over REST.
    p = parameters(client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], timeout=30_000_000, priority=1,
                                headers=dict(RELAXED)).get_response())
    assert p["latency_target_ms"] == 30000


def test_grpc_timeout_is_the_latency_target(client, test_set, plans, server):
    x, _ = batch_of(test_set, "fashion-mlp", 0, 1)
    # tritonclient's client_timeout is the call's grpc-timeout: the target when none is set.
    p = parameters(client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], client_timeout=20).get_response())
    assert 19_000 <= p["latency_target_ms"] <= 20_100
    # A target in the request wins.
    p = parameters(client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], client_timeout=20,
                                parameters={"latency_target_ms": 50000}).get_response())
    assert p["latency_target_ms"] == 50000
    # A grpc-timeout no plan of the accuracy asked for can meet is refused at once, as an impossible
    # latency target is (sent by hand: a gRPC client would give up at its own deadline).
    name, best, predicted_us = max(plans["fashion-cnn"], key=lambda plan: plan[1])
    assert predicted_us > 2000, f"{name} is predicted to take {predicted_us} µs for a full batch"
    x, _ = batch_of(test_set, "fashion-cnn", 0, 32)
    message = infer_request("fashion-cnn", x, accuracy_target=best).SerializeToString()
    headers, body, status = h2_call(server, "ModelInfer", message, [("grpc-timeout", "1m")])
    assert headers[":status"] == "200" and body == b""
    assert status["grpc-status"] == str(grpc.StatusCode.RESOURCE_EXHAUSTED.value[0])
    assert status["zenith-reason"] == "slo_infeasible"
    headers, body, status = h2_call(server, "ModelInfer", message, [("grpc-timeout", "60S")])
    assert status["grpc-status"] == "0"
    response = service_pb2.ModelInferResponse.FromString(body[5:])
    assert parameters(response)["latency_target_ms"] == 60000
    _, _, status = h2_call(server, "ModelInfer", message, [("grpc-timeout", "soon")])
    assert status["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    assert "grpc-timeout" in status["grpc-message"]


def test_bad_requests_get_grpc_codes(client, test_set):
    x, _ = batch_of(test_set, "fashion-mlp", 0, 2)
    wrong_shape = grpcclient.InferInput("input", [2, 28, 28], "FP32")
    wrong_shape.set_data_from_numpy(x.reshape(2, 28, 28))
    wrong_type = grpcclient.InferInput("input", [2, 784], "FP64")
    wrong_type.set_data_from_numpy(x.astype(np.float64))
    wrong_name = grpcclient.InferInput("pixels", [2, 784], "FP32")
    wrong_name.set_data_from_numpy(x)
    for model, tensor, code, phrase in [
        ("fashion-mlp", wrong_shape, "INVALID_ARGUMENT", "shape"),
        ("fashion-mlp", wrong_type, "INVALID_ARGUMENT", "datatype FP64"),
        ("fashion-mlp", wrong_name, "INVALID_ARGUMENT", "unknown input 'pixels'"),
        ("no-such-model", wrong_shape, "NOT_FOUND", "unknown model"),
    ]:
        with pytest.raises(InferenceServerException) as error:
            client.infer(model, [tensor], headers=dict(RELAXED))
        assert error.value.status() == f"StatusCode.{code}"
        assert phrase in error.value.message()
    assert client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], headers=dict(RELAXED)).as_numpy("logits").shape == (
        2, 10)


def test_statistics_over_grpc_and_rest_agree(client, server):
    stats = client.get_inference_statistics("fashion-mlp").model_stats[0]
    assert stats.name == "fashion-mlp" and stats.version == "1"
    assert stats.inference_count > 0 and stats.inference_stats.success.count > 0
    assert stats.inference_stats.fail.count > 0, "the refused requests above are counted"
    with httpclient.InferenceServerClient(url=server) as rest:
        assert rest.get_inference_statistics("fashion-mlp")["model_stats"][0]["inference_count"] == \
            stats.inference_count
    assert {s.name for s in client.get_inference_statistics().model_stats} == set(MODELS)


def test_rest_and_grpc_on_the_same_port(server, client, test_set, plans):
    with httpclient.InferenceServerClient(url=server) as rest:
        assert rest.is_server_ready() and client.is_server_ready()
        for model in ("fashion-mlp", "fashion-cnn"):
            best = max(accuracy for _, accuracy, _ in plans[model])
            x, labels = batch_of(test_set, model, 700, 32)
            targets = {"latency_target_ms": 60000, "accuracy_target": best}
            over_grpc = client.infer(model, [grpc_input(model, x)], parameters=targets)
            tensor = httpclient.InferInput(INPUT[model], list(x.shape), "FP32")
            tensor.set_data_from_numpy(x, binary_data=True)
            over_rest = rest.infer(model, [tensor], parameters=targets)
            grpc_plan = parameters(over_grpc.get_response())["plan"]
            rest_plan = over_rest.get_response()["parameters"]["plan"]
            a, b = over_grpc.as_numpy(OUTPUT[model]), over_rest.as_numpy(OUTPUT[model])
            if grpc_plan == rest_plan:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
            assert (a.argmax(axis=1) == labels).mean() >= 0.8 and (b.argmax(axis=1) == labels).mean() >= 0.8


def test_unknown_methods_are_unimplemented(channel):
    for path in (f"{SERVICE}/ModelStreamInfer", f"{SERVICE}/CudaSharedMemoryStatus", "/grpc.health.v1.Health/Check"):
        call = channel.unary_unary(path)
        with pytest.raises(grpc.RpcError) as error:
            call(b"", timeout=30)
        assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED, path


def test_a_malformed_message_is_an_invalid_argument(channel):
    # Field 1 (model_name) declares 100 bytes; none follow.
    with pytest.raises(grpc.RpcError) as error:
        unary(channel, "ModelInfer")(b"\x0a\x64", timeout=30)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ModelInferRequest" in error.value.details()
    # A well-formed but meaningless request names what is missing.
    with pytest.raises(grpc.RpcError) as error:
        unary(channel, "ModelMetadata", service_pb2.ModelMetadataRequest, service_pb2.ModelMetadataResponse)(
            service_pb2.ModelMetadataRequest(), timeout=30)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_compressed_messages_are_refused(server, client, test_set):
    x, _ = batch_of(test_set, "fashion-mlp", 0, 1)
    # A client that compresses (grpc-encoding: gzip) hears that only identity is served.
    with pytest.raises(InferenceServerException) as error:
        client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], compression_algorithm="gzip", headers=dict(RELAXED))
    assert error.value.status() == "StatusCode.UNIMPLEMENTED" and "uncompressed" in error.value.message()
    # The compressed flag without any grpc-encoding breaks the framing.
    message = service_pb2.ServerLiveRequest().SerializeToString()
    headers, _, status = h2_call(server, "ServerLive", message, flag=1)
    assert headers[":status"] == "200" and headers["content-type"] == "application/grpc"
    assert status["grpc-status"] == str(grpc.StatusCode.INTERNAL.value[0])
    assert "compressed" in status["grpc-message"]
    # The same call uncompressed is answered with a message and trailers.
    headers, body, status = h2_call(server, "ServerLive", message)
    assert status["grpc-status"] == "0" and "content-length" not in headers
    assert service_pb2.ServerLiveResponse.FromString(body[5:]).live


def test_grpc_over_http1_is_refused_with_a_reason(server):
    request = urllib.request.Request(f"http://{server}{SERVICE}/ServerLive", data=b"\0\0\0\0\0",
                                     headers={"content-type": "application/grpc"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 505
    assert "gRPC needs HTTP/2" in json.loads(error.value.read())["error"]


def test_unload_and_load(client, test_set):
    # Last: the model is away for a moment.
    client.unload_model("fashion-mlp")
    assert not client.is_model_ready("fashion-mlp")
    index = {m.name: (m.state, m.reason) for m in client.get_model_repository_index().models}
    assert index["fashion-mlp"] == ("UNAVAILABLE", "unloaded")
    x, _ = batch_of(test_set, "fashion-mlp", 0, 1)
    with pytest.raises(InferenceServerException) as error:
        client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], headers=dict(RELAXED))
    assert error.value.status() == "StatusCode.NOT_FOUND"
    client.load_model("fashion-mlp")
    assert client.is_model_ready("fashion-mlp")
    assert client.infer("fashion-mlp", [grpc_input("fashion-mlp", x)], headers=dict(RELAXED)).as_numpy("logits").shape == (
        1, 10)
    with pytest.raises(InferenceServerException) as error:
        client.load_model("no-such-model")
    assert error.value.status() == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException) as error:
        client.load_model("fashion-mlp", config="{}")
    assert error.value.status() == "StatusCode.INVALID_ARGUMENT"
