"""The server interceptor that counts and times every RPC (oneassess.metrics)."""

from __future__ import annotations

import time

import grpc

from oneassess.metrics import RPC_REQUESTS, RPC_SECONDS


def _code(context: grpc.aio.ServicerContext, failed: bool) -> str:
    code = context.code()
    if code is None:
        return "UNKNOWN" if failed else "OK"
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Outermost interceptor: sees the status the inner ones (auth, error mapping) chose."""

    def __init__(self, service: str) -> None:
        self._service = service

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        requests = RPC_REQUESTS
        seconds = RPC_SECONDS.labels(self._service, method)
        service = self._service

        def record(context, started: float, failed: bool) -> None:
            seconds.observe(time.perf_counter() - started)
            requests.labels(service, method, _code(context, failed)).inc()

        if handler.response_streaming:
            inner = handler.unary_stream or handler.stream_stream

            async def streaming(request, context):
                started, failed = time.perf_counter(), True
                try:
                    async for response in inner(request, context):
                        yield response
                    failed = False
                finally:
                    record(context, started, failed)

            behavior = streaming
        else:
            inner = handler.unary_unary or handler.stream_unary

            async def unary(request, context):
                started, failed = time.perf_counter(), True
                try:
                    response = await inner(request, context)
                    failed = False
                    return response
                finally:
                    record(context, started, failed)

            behavior = unary

        factory = {
            (False, False): grpc.unary_unary_rpc_method_handler,
            (False, True): grpc.unary_stream_rpc_method_handler,
            (True, False): grpc.stream_unary_rpc_method_handler,
            (True, True): grpc.stream_stream_rpc_method_handler,
        }[(handler.request_streaming, handler.response_streaming)]
        return factory(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
