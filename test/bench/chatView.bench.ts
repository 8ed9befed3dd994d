// Chat view benchmarks (issue 5): messages posted per second during a fast stream (controller, Node),
// and in headless Chromium with the real webview bundle: rendering a 20,000-token reply while it streams
// and at once, and the page's JS heap after 1,000 messages. Run: npm run bench -- chatView
import { ChatViewController, type ChatViewPort } from '../../src/extension/present/chatViewController';
import { Conversation } from '../../src/extension/chat/conversation';
import { Emitter } from '../../src/extension/common/emitter';
import type { ChatBackend, Delta } from '../../src/extension/chat/types';
import type { ChatEntry, HostToWebview, ServerView } from '../../src/webview/protocol/chat';
import { CHROMIUM_ARGS, chromiumPath, openChatPage, postToChat, replyTokens, snapshot } from '../fixtures/chatPage';
import { itemAt } from '../fixtures/itemAt';
import type { BrowserType } from 'playwright-core';

const TOKENS = 20_000;

async function controllerBench(): Promise<Record<string, string>> {
  const tokens = replyTokens(TOKENS);
  const backend: ChatBackend = {
    async *stream(): AsyncIterable<Delta> {
      // A fast model: 10 tokens every 2 ms (~5,000 tok/s), each its own delta as SSE delivers them.
      for (const [i, text] of tokens.entries()) {
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2));
        yield { kind: 'text', text };
      }
    },
  };
  const posted: { at: number; message: HostToWebview }[] = [];
  const port: ChatViewPort = { visible: true, post: (message) => posted.push({ at: performance.now(), message }) };
  const conversation = new Conversation();
  const controller = new ChatViewController({
    conversation,
    getServerView: (): ServerView => ({ kind: 'ready', label: 'bench' }),
    onDidChangeServerView: new Emitter<ServerView>().event,
    getBackend: () => backend,
    startServer: () => undefined,
    log: { debug: () => undefined, warn: () => undefined, error: () => undefined },
  });
  controller.attach(port);
  const started = performance.now();
  controller.receive({ type: 'send', text: 'go' });
  while (!conversation.entries[1] || conversation.entries[1].status === 'streaming' || conversation.busy) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  const deltas = posted.filter((p) => p.message.type === 'entryDelta');
  let maxPerSecond = 0;
  for (let i = 0, j = 0; i < deltas.length; i++) {
    while (itemAt(deltas, i).at - itemAt(deltas, j).at > 1000) j++;
    maxPerSecond = Math.max(maxPerSecond, i - j + 1);
  }
  controller.dispose();
  return {
    'fast stream (controller, Node)': `${TOKENS} tokens in ${seconds.toFixed(2)} s (${Math.round(TOKENS / seconds)} tok/s)`,
    'messages posted': `${posted.length} (${deltas.length} entryDelta), ${(posted.length / seconds).toFixed(1)}/s average, at most ${maxPerSecond} in any 1 s window`,
  };
}

interface BrowserResults {
  streamMs: number;
  finalMs: number;
  longestTaskMs: number;
  longTasks: number;
  maxFrameGapMs: number;
  fromHistory: { firstMs: number; doneMs: number; longest: number };
  heapAfter1000: number;
  heapBaseline: number;
  domNodes: number;
}

async function browserBench(): Promise<Record<string, string>> {
  let chromium: BrowserType;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { chromium: 'skipped: playwright-core is not installed' };
  }
  const executablePath = chromiumPath();
  if (!executablePath) return { chromium: 'skipped: no Chromium (set CHROMIUM_PATH)' };
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'] });
  try {
    const page = await openChatPage(browser);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      return { heap: metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0, nodes: metrics.find((m) => m.name === 'Nodes')?.value ?? 0 };
    };
    const post = (message: HostToWebview) => postToChat(page, message);
    await post(snapshot([{ id: 'u', role: 'user', text: 'go', status: 'complete' }], true));
    const baseline = await heap();

    // 1) Stream 20,000 tokens as the host would send them: one entryDelta per 30 ms batch, here back to back.
    const tokens = replyTokens(TOKENS);
    const batches: string[] = [];
    for (let i = 0; i < tokens.length; i += 50) batches.push(tokens.slice(i, i + 50).join(''));
    await page.evaluate(() => {
      const w = window as unknown as { __longest: number; __long: number; __gap: number; __last: number; __frames: boolean };
      w.__longest = 0;
      w.__long = 0;
      w.__gap = 0;
      w.__frames = true;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          w.__long++;
          w.__longest = Math.max(w.__longest, e.duration);
        }
      }).observe({ type: 'longtask', buffered: false });
      w.__last = performance.now();
      const frame = (t: number) => {
        w.__gap = Math.max(w.__gap, t - w.__last);
        w.__last = t;
        if (w.__frames) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    await post({ type: 'entryAdded', entry: { id: 'a', role: 'assistant', text: '', status: 'streaming' } });
    const streamStart = Date.now();
    await page.evaluate(async (list) => {
      for (const text of list) {
        window.postMessage({ type: 'entryDelta', id: 'a', text }, '*');
        await new Promise((r) => setTimeout(r, 4));
      }
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    }, batches);
    const streamMs = Date.now() - streamStart;
    const frames = await page.evaluate(() => {
      const w = window as unknown as { __longest: number; __long: number; __gap: number; __frames: boolean };
      w.__frames = false;
      return { longest: w.__longest, long: w.__long, gap: w.__gap };
    });
    const finalMs = await page.evaluate(async () => {
      const t = performance.now();
      window.postMessage({ type: 'entryDone', id: 'a', status: 'complete', stats: { tokens: 20000, tokensPerSecond: 100, timeToFirstTokenMs: 100 } }, '*');
      await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    });

    // 2) The same reply loaded at once from a snapshot (opening a past chat).
    const fullText = tokens.join('');
    const fromHistory = await page.evaluate(async (m) => {
      let longest = 0;
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
      });
      observer.observe({ type: 'longtask', buffered: false });
      const t = performance.now();
      let firstMs = 0;
      // Runs right after the view's own handler: what the first task drew.
      window.addEventListener('message', () => (firstMs = performance.now() - t), { once: true });
      window.postMessage(m, '*');
      const rendering = () => document.querySelector('[data-rendering]') !== null;
      await new Promise((r) => setTimeout(r, 0));
      while (rendering()) await new Promise((r) => requestAnimationFrame(r));
      const doneMs = performance.now() - t;
      await new Promise((r) => setTimeout(r, 50));
      observer.disconnect();
      return { firstMs, doneMs, longest };
    }, snapshot([{ id: 'u', role: 'user', text: 'go', status: 'complete' }, { id: 'a', role: 'assistant', text: fullText, status: 'complete' }], false));

    // 3) 1,000 messages (500 turns of ordinary markdown replies), then the heap after a GC.
    const entries: ChatEntry[] = [];
    for (let i = 0; i < 500; i++) {
      entries.push({ id: `u${i}`, role: 'user', text: `Question ${i}: how do I sort an array?`, status: 'complete' });
      entries.push({ id: `a${i}`, role: 'assistant', text: tokens.slice(0, 120).join(''), status: 'complete', stats: { tokens: 120, tokensPerSecond: 50, timeToFirstTokenMs: 90 } });
    }
    await post(snapshot([], false));
    const empty = await heap();
    await post(snapshot(entries, false));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const after = await heap();
    const results: BrowserResults = {
      streamMs,
      finalMs,
      longestTaskMs: frames.longest,
      longTasks: frames.long,
      maxFrameGapMs: frames.gap,
      fromHistory,
      heapAfter1000: after.heap,
      heapBaseline: empty.heap,
      domNodes: after.nodes,
    };
    void baseline;
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    return {
      'chromium': browser.version(),
      '20,000-token reply, streamed (400 batches, 4 ms apart)': `${results.streamMs} ms until the last batch was drawn; longest task ${results.longestTaskMs.toFixed(0)} ms, ${results.longTasks} tasks over 50 ms, longest gap between frames ${results.maxFrameGapMs.toFixed(0)} ms`,
      '20,000-token reply, final full render (entryDone)': `${results.finalMs.toFixed(0)} ms`,
      '20,000-token reply, opened from history (snapshot)': `its end drawn ${results.fromHistory.firstMs.toFixed(0)} ms after the message, all of it in ${results.fromHistory.doneMs.toFixed(0)} ms; longest task ${results.fromHistory.longest.toFixed(0)} ms`,
      'JS heap after 1,000 messages': `${mb(results.heapAfter1000)} (empty chat: ${mb(results.heapBaseline)}), ${results.domNodes} DOM nodes`,
    };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const rows = { ...(await controllerBench()), ...(await browserBench()) };
  for (const [k, v] of Object.entries(rows)) console.log(`${k}: ${v}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
