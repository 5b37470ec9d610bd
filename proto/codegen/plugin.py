"""The protoc entry point: reads a CodeGeneratorRequest on stdin, writes the response on stdout.

One `<file>_temporal.py` per requested file that has wired services; touches no other files.
"""

from __future__ import annotations

import logging
import sys

from google.protobuf.compiler import plugin_pb2

# Registers the wiring extensions, so parsing the request keeps them on the method options.
from ameide_core_proto.process.commerce.v1 import options_pb2  # noqa: F401
from codegen._model import MessageIndex, WiringError, read_file
from codegen._render import output_name, render

logger = logging.getLogger(__name__)


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    """The files for `request`, or a response carrying the first wiring error."""
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    index = MessageIndex(request.proto_file)
    files = {file.name: file for file in request.proto_file}
    try:
        for name in request.file_to_generate:
            model = read_file(files[name], index)
            if model.services:
                response.file.add(name=output_name(name), content=render(model))
    except WiringError as error:
        response.ClearField("file")
        response.error = str(error)
    return response


def main() -> None:
    """Runs the plugin as protoc calls it."""
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())
