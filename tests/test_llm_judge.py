"""Pairwise LLM judge (issue 17): the whole protocol against a local server speaking the OpenAI chat API."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from polyreply.llm_judge import (JudgeError, JudgmentCache, OpenAICompatibleBackend, combine_orders, judge_pairs,
                                 parse_verdict, win_tie_loss)


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


def prefers_word(word):
    """A fair judge: prefers the reply containing ``word``, wherever it is shown."""
    def rule(prompt):
        a = prompt.split("Reply A:\n")[1].split("\n\nReply B:")[0]
        b = prompt.split("Reply B:\n")[1]
        if (word in a) == (word in b):
            return "Both fine.\nWinner: tie"
        return "Reason.\nWinner: A" if word in a else "Reason.\nWinner: B"
    return rule


PAIRS = [{"tweet": "Planted tomatoes today", "model": "Great choice, which variety?", "baseline": "ok"},
         {"tweet": "Rainy Monday", "model": "meh", "baseline": "Great excuse for tea!"},
         {"tweet": "New bike!", "model": "Great, enjoy it", "baseline": "Great ride ahead"}]


@pytest.fixture()
def judge_server():
    servers = []

    def start(rule, fail_first=0):
        judge = FakeJudge(rule, fail_first)
        server, url = serve(judge)
        servers.append(server)
        return judge, url
    yield start
    for s in servers:
        s.shutdown()


def test_parse_and_combine_by_hand():
    assert parse_verdict("A is better.\nWinner: A") == "A"
    assert parse_verdict("Winner: B\n...\nwinner: **tie**") == "tie"  # the last verdict line counts
    assert parse_verdict("I prefer A") is None and parse_verdict("") is None
    assert combine_orders("A", "B") == "win" and combine_orders("B", "A") == "loss"
    assert combine_orders("A", "A") == "tie" and combine_orders("tie", "B") == "tie"
    assert combine_orders(None, "B") == "unparseable"


def test_both_orders_blind_win_loss_tie(judge_server, tmp_path):
    judge, url = judge_server(prefers_word("Great"))
    backend = OpenAICompatibleBackend(url, "judge-model", backoff_s=0.0)
    out = judge_pairs(PAIRS, backend, JudgmentCache(tmp_path / "cache.jsonl"))
    assert [o["outcome"] for o in out] == ["win", "loss", "tie"]
    assert judge.calls == 6 and all(r["path"] == "/v1/chat/completions" for r in judge.requests)
    shown = " ".join(m["content"] for r in judge.requests for m in r["body"]["messages"])
    assert "sft_" not in shown and "grpo" not in shown and "baseline" not in shown.lower()  # blind


def test_position_bias_becomes_ties_not_wins(judge_server, tmp_path):
    judge, url = judge_server(lambda prompt: "First is best.\nWinner: A")
    out = judge_pairs(PAIRS, OpenAICompatibleBackend(url, "m", backoff_s=0.0), JudgmentCache(tmp_path / "c.jsonl"))
    assert [o["outcome"] for o in out] == ["tie"] * 3


def test_cache_makes_a_rerun_free(judge_server, tmp_path):
    judge, url = judge_server(prefers_word("Great"))
    backend = OpenAICompatibleBackend(url, "m", backoff_s=0.0)
    first = judge_pairs(PAIRS, backend, JudgmentCache(tmp_path / "c.jsonl"))
    again = judge_pairs(PAIRS, backend, JudgmentCache(tmp_path / "c.jsonl"))  # a new process reads the file
    assert again == first and judge.calls == 6


def test_malformed_answers_are_counted_never_ties(judge_server, tmp_path):
    judge, url = judge_server(lambda prompt: "Winner: A" if "tomatoes" in prompt else "Both are nice replies.")
    out = judge_pairs(PAIRS, OpenAICompatibleBackend(url, "m", backoff_s=0.0), JudgmentCache(tmp_path / "c.jsonl"))
    assert [o["outcome"] for o in out] == ["tie", "unparseable", "unparseable"]
    rates = win_tie_loss([o["outcome"] for o in out], samples=200)
    assert rates["unparseable"] == 2 and rates["pairs"] == 3 and rates["tie_rate"] == 1.0


def test_retries_with_backoff_then_gives_up(judge_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-test")
    judge, url = judge_server(prefers_word("Great"), fail_first=2)
    backend = OpenAICompatibleBackend(url, "m", api_key_env="JUDGE_KEY", backoff_s=0.0, max_retries=2)
    assert judge_pairs(PAIRS[:1], backend, JudgmentCache(tmp_path / "c.jsonl"))[0]["outcome"] == "win"
    assert judge.calls == 4 and judge.requests[-1]["auth"] == "Bearer sk-test"
    always_down, url2 = judge_server(prefers_word("Great"), fail_first=100)
    with pytest.raises(JudgeError, match="failed 3 times"):
        OpenAICompatibleBackend(url2, "m", backoff_s=0.0, max_retries=2).complete([{"role": "user", "content": "x"}])
    monkeypatch.delenv("JUDGE_KEY")
    with pytest.raises(JudgeError, match="JUDGE_KEY"):
        backend.complete([{"role": "user", "content": "x"}])


def test_win_tie_loss_rates_and_cis_by_hand():
    r = win_tie_loss(["win"] * 6 + ["loss"] * 2 + ["tie"] * 2 + ["unparseable"], samples=2000)
    assert (r["win_rate"], r["loss_rate"], r["tie_rate"], r["unparseable"]) == (0.6, 0.2, 0.2, 1)
    assert r["win_ci"][0] < 0.6 < r["win_ci"][1] and 0.0 <= r["loss_ci"][0]
    assert win_tie_loss(["unparseable"])["win_rate"] is None


def test_local_transformers_backend_is_deterministic_and_cached(tiny_lm, tmp_path):
    from polyreply.llm_judge import TransformersBackend
    model, tok = tiny_lm
    model.save_pretrained(tmp_path / "judge")
    tok.save_pretrained(tmp_path / "judge")
    backend = TransformersBackend(str(tmp_path / "judge"), max_new_tokens=8)
    cache = JudgmentCache(tmp_path / "c.jsonl")
    out = judge_pairs(PAIRS[:2], backend, cache)
    # a random tiny model writes no verdict line: counted as unparseable, never as a tie
    assert [o["outcome"] for o in out] == ["unparseable", "unparseable"]
    assert len(cache.entries) == 4
    assert backend.complete([{"role": "user", "content": "hi"}]) == backend.complete([{"role": "user", "content": "hi"}])
