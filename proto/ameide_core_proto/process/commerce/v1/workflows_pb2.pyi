from ameide_core_proto.process.commerce.v1 import domains_pb2 as _domains_pb2
from ameide_core_proto.process.commerce.v1 import options_pb2 as _options_pb2
from ameide_core_proto.process.commerce.v1 import realtime_pb2 as _realtime_pb2
from ameide_core_proto.process.commerce.v1 import replication_pb2 as _replication_pb2
from ameide_core_proto.process.commerce.v1 import rollout_pb2 as _rollout_pb2
from ameide_core_proto.process.commerce.v1 import store_site_pb2 as _store_site_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
