"""The `oneassess` command line: one module per command group, each reaching the services only
through the client package (`oneassess.client`)."""

import os

# The CLI and the local stack fork processes while gRPC threads run; gRPC's fork handlers
# only print a warning then, so they are off unless asked for.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
