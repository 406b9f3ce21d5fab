"""Errors the prepare pipeline reports to the user (never a traceback)."""


class UnsupportedModelError(ValueError):
    """The ONNX model uses an op, attribute value or structure the Zenith graph format cannot
    express. The message names the node, its op type, what is wrong and the supported ops."""


class OptionError(ValueError):
    """A command-line option names something the model does not have (the message says what
    it does have)."""
