"""The OneAssess API, owned by no service and imported by everyone: the generated gRPC contract
(`oneassess.<service>.v1`, from protos/ by `make proto`), the client package (`oneassess.client`),
settings every process reads (`oneassess.config`), telemetry, and the contract between the
submissions outbox and the workflows (`oneassess.contract`). It imports nothing else of the
project's (an import-linter contract in pyproject.toml)."""
