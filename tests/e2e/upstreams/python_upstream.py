#!/usr/bin/env python3
"""An OpenAI-compatible chat upstream written with nothing but Python's
standard library, as many small providers and in-house proxies are.

It answers the way http.server does by default: HTTP/1.0, a Content-Length on
JSON answers, and a stream that ends when the connection closes. Prints
"listening on <port>" once ready. Behaviour per request comes from the
model name the client asks for:

  *-ok     a completion (streamed when asked)
  *-429    a rate-limit error with Retry-After: 30
  *-500    a server error
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "hello from python"


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # keep the test output clean
        pass

    def send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "no such route", "type": "invalid_request_error",
                                           "param": None, "code": None}})
            return
        model = request.get("model", "")
        if model.endswith("-429"):
            self.send_json(429, {"error": {"message": "python says slow down", "type": "rate_limit_error",
                                           "param": None, "code": "rate_limit_exceeded"}},
                           [("Retry-After", "30")])
            return
        if model.endswith("-500"):
            self.send_json(500, {"error": {"message": "python is broken", "type": "server_error",
                                           "param": None, "code": None}})
            return
        created = int(time.time())
        usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        if not request.get("stream"):
            self.send_json(200, {
                "id": "chatcmpl-python", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": REPLY, "refusal": None}}],
                "usage": usage})
            return
        # HTTP/1.0 without a length: the stream ends when the connection does.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

        def event(delta, finish=None):
            chunk = {"id": "chatcmpl-python", "object": "chat.completion.chunk", "created": created,
                     "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                   "finish_reason": finish}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        event({"role": "assistant", "content": ""})
        for i, word in enumerate(REPLY.split(" ")):
            event({"content": (" " if i else "") + word})
        event({}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatHandler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
