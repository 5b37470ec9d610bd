"""The edge gateway: the only surface store agents reach (grpc.aio, TLS and mTLS)."""
