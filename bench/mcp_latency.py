"""What MCP costs: `ask` through `qa mcp` over stdio (the SDK's client, a JSON round trip) vs `Engine.ask`
in process, same questions, same index, on the Wikipedia summaries corpus.

    python bench/mcp_latency.py [--docs 10033] [--questions 300] [--corpus DIR] [--index DIR]

The questions are the articles' short descriptions, as in bench/latency.py. Both engines are prepared and
warmed up first; then each question is asked in process and through the server in turn, so both see the
same machine load. Every MCP answer is also checked to be the in-process answer's JSON object.
`--corpus`/`--index` reuse a corpus and an index built elsewhere (the index must be up to date, or the
server rebuilds it first); by default both are built in bench/.cache as bench/latency.py does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import article_keys, index_dir, materialise, summaries  # noqa: E402
from index.types import ChunkingParams  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def run(corpus: Path, index: Path, questions: list[str]) -> None:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    engine = Engine(Settings(corpus=corpus, index=index))
    for _ in engine.prepare():
        pass
    engine.ask("warm-up question")

    qa_script = Path(sys.executable).parent / "qa"
    params = StdioServerParameters(command=str(qa_script), args=["mcp", "--corpus", str(corpus), "--index", str(index)],
                                   env=dict(os.environ))
    local, remote, same = [], [], 0
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        t0 = time.perf_counter()
        await session.call_tool("ask", {"question": "warm-up question"})  # waits for the server's engine
        print(f"server ready (first call) after {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for q in questions:
            t0 = time.perf_counter()
            answer = engine.ask(q)
            local.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            result = await session.call_tool("ask", {"question": q})
            remote.append((time.perf_counter() - t0) * 1000)
            same += json.loads(result.content[0].text) == answer.to_dict(id=1)
    engine.close()

    diffs = [r - lo for r, lo in zip(remote, local, strict=True)]
    print(f"corpus: {corpus} ({len(list(corpus.glob('*.txt')))} documents); {len(questions)} questions; "
          f"{same} MCP answers identical to the in-process ones")
    print(f"Engine.ask in process:        p50 {percentile(local, 0.5):.2f} ms, p95 {percentile(local, 0.95):.2f} ms")
    print(f"MCP ask round trip (stdio):   p50 {percentile(remote, 0.5):.2f} ms, p95 {percentile(remote, 0.95):.2f} ms")
    print(f"MCP overhead: p50 difference {percentile(remote, 0.5) - percentile(local, 0.5):.2f} ms; "
          f"per question p50 {percentile(diffs, 0.5):.2f} ms, p95 {percentile(diffs, 0.95):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10033)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=None, help="An existing corpus of the first --docs articles.")
    parser.add_argument("--index", type=Path, default=None, help="An existing index of that corpus.")
    args = parser.parse_args()
    corpus = args.corpus or materialise(args.docs)
    index = args.index or index_dir(corpus, ChunkingParams())
    data = summaries()
    described = [data[k]["description"] for k in article_keys(args.docs) if data[k].get("description")]
    questions = described[:: max(1, args.docs // args.questions)][: args.questions]
    asyncio.run(run(corpus, index, questions))


if __name__ == "__main__":
    main()
