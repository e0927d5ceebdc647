"""A local judge server speaking the OpenAI chat API (/v1/chat/completions), for the LLM-judge tests."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeJudge:
    """Server state: a rule per request; counts calls; can fail the first n calls with HTTP 500."""

    def __init__(self, rule, fail_first=0):
        self.rule, self.fail_first, self.calls, self.requests = rule, fail_first, 0, []


def serve(judge: FakeJudge):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            judge.calls += 1
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            judge.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            if judge.calls <= judge.fail_first:
                self.send_response(500)
                self.end_headers()
                return
            answer = judge.rule(body["messages"][-1]["content"])
            data = json.dumps({"choices": [{"message": {"role": "assistant", "content": answer}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def shown_replies(prompt):
    """(reply A, reply B) from the judge prompt of polyreply.tweets.llm_judge.judge_messages."""
    return prompt.split("Reply A:\n")[1].split("\n\nReply B:")[0], prompt.split("Reply B:\n")[1]


def prefers_word(word):
    """A fair judge: prefers the reply containing ``word``, wherever it is shown."""
    def rule(prompt):
        a, b = shown_replies(prompt)
        if (word in a) == (word in b):
            return "Both fine.\nWinner: tie"
        return "Reason.\nWinner: A" if word in a else "Reason.\nWinner: B"
    return rule
