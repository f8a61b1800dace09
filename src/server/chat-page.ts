// Node side (server): the chat page served by `createAgentApp({ chatPage: true })`: one HTML
// document with its style and script inline, no build step. It talks to the API it is served by
// (relative URLs), reads event streams with fetch (so a bearer token can go in a header) and
// resumes them with Last-Event-ID.

/** Options of the chat page. */
export interface ChatPageOptions {
  /** The API asks for a bearer token: the page shows a token field. */
  auth: boolean;
}

const STYLE = `
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; color: #1d1d1f; background: #f6f6f7; }
header { display: flex; gap: .5rem; align-items: center; padding: .6rem 1rem; background: #fff; border-bottom: 1px solid #ddd; flex-wrap: wrap; }
header h1 { font-size: 1rem; margin: 0 1rem 0 0; }
header label { font-size: .85rem; color: #555; display: flex; gap: .3rem; align-items: center; }
select, input, button, textarea { font: inherit; }
#log { flex: 1; overflow-y: auto; padding: 1rem; display: flex; flex-direction: column; gap: .5rem; }
.msg { max-width: 46rem; padding: .55rem .8rem; border-radius: .6rem; white-space: pre-wrap; }
.msg.user { align-self: flex-end; background: #d8ebff; }
.msg.assistant { align-self: flex-start; background: #fff; border: 1px solid #e3e3e3; }
.msg.assistant.streaming::after { content: '▍'; color: #888; }
.msg .actions { margin-top: .3rem; font-size: .8rem; }
.msg .actions button { font-size: .8rem; }
.line { font: 13px/1.4 ui-monospace, monospace; color: #444; align-self: flex-start; }
.line.tool { color: #066; } .line.result { color: #262; } .line.error { color: #a00; }
.approval { align-self: flex-start; background: #fff7dd; border: 1px solid #e6c200; padding: .6rem .8rem; border-radius: .6rem; }
.approval button { margin-right: .4rem; }
.progress { align-self: stretch; max-width: 46rem; font-size: .8rem; color: #555; }
.progress .bar { height: 6px; background: #e5e5e5; border-radius: 3px; overflow: hidden; }
.progress .bar div { height: 100%; background: #3a7bd5; width: 0; transition: width .2s; }
footer { display: flex; gap: .5rem; padding: .6rem 1rem; background: #fff; border-top: 1px solid #ddd; }
footer textarea { flex: 1; resize: none; height: 2.6rem; padding: .4rem; }
#status { font-size: .8rem; color: #666; padding: 0 1rem .3rem; background: #fff; }
`;

// The page's script. No template literals inside (this file is one), no build step.
const SCRIPT = `
(function () {
  'use strict';
  var needsToken = document.body.getAttribute('data-auth') === '1';
  var $ = function (id) { return document.getElementById(id); };
  var state = { conversationId: null, runId: null, busy: false };

  function token() { return localStorage.getItem('agentRuntimeToken') || ''; }
  function headers(extra) {
    var h = extra || {};
    if (token()) h.authorization = 'Bearer ' + token();
    return h;
  }
  function api(method, path, body) {
    return fetch(path, {
      method: method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (text) {
        var json = text ? JSON.parse(text) : {};
        if (!res.ok) throw new Error((json.error && json.error.message) || ('HTTP ' + res.status));
        return json;
      });
    });
  }
  function setStatus(text) { $('status').textContent = text; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function add(node) { $('log').appendChild(node); $('log').scrollTop = $('log').scrollHeight; return node; }
  function text(v) { return typeof v === 'string' ? v : JSON.stringify(v); }
  function short(v, n) { var t = text(v) || ''; return t.length > n ? t.slice(0, n - 1) + '…' : t; }

  // ---- agents, conversations, branches ----
  function loadAgents() {
    return api('GET', 'agents').then(function (r) {
      var sel = $('agent');
      sel.innerHTML = '';
      (r.agents || []).forEach(function (a) { var o = el('option', '', a); o.value = a; sel.appendChild(o); });
      var saved = localStorage.getItem('agentRuntimeAgent');
      if (saved && r.agents.indexOf(saved) >= 0) sel.value = saved;
      $('agent-free').style.display = r.agents.length ? 'none' : '';
      sel.style.display = r.agents.length ? '' : 'none';
    });
  }
  function agent() { return $('agent').style.display === 'none' ? $('agent-free').value.trim() : $('agent').value; }
  function loadConversations() {
    return api('GET', 'conversations').then(function (r) {
      var sel = $('conversation');
      sel.innerHTML = '';
      sel.appendChild(el('option', '', '— new conversation —')).value = '';
      r.conversations.forEach(function (c) {
        var o = el('option', '', (c.title || 'untitled') + ' · ' + c.id.slice(0, 8));
        o.value = c.id;
        sel.appendChild(o);
      });
      sel.value = state.conversationId || '';
    });
  }
  function renderMessages(messages) {
    $('log').innerHTML = '';
    messages.forEach(function (m) {
      if (m.role === 'user') add(el('div', 'msg user', text(m.content)));
      (m.toolCalls || []).forEach(function (c) {
        add(el('div', 'line tool', '→ ' + c.name + '(' + short(c.arguments, 120) + ')'));
      });
      if (m.role === 'tool') add(el('div', 'line result', '← ' + short(m.content, 160)));
      else if (m.role === 'assistant' && m.content) {
        var d = add(el('div', 'msg assistant', text(m.content)));
        var actions = d.appendChild(el('div', 'actions'));
        var regen = actions.appendChild(el('button', 'regenerate', 'Regenerate'));
        regen.onclick = function () { regenerate(m.id); };
      }
    });
  }
  function loadConversation() {
    if (!state.conversationId) { $('log').innerHTML = ''; $('branch').innerHTML = ''; return Promise.resolve(); }
    return api('GET', 'conversations/' + state.conversationId).then(function (c) {
      renderMessages(c.messages);
      var sel = $('branch');
      sel.innerHTML = '';
      c.branches.forEach(function (b, i) {
        var o = el('option', '', b.branchId === null ? 'main' : 'branch ' + i);
        o.value = b.branchId === null ? '' : b.branchId;
        sel.appendChild(o);
      });
      sel.value = c.activeBranchId || '';
    });
  }
  function switchBranch() {
    var id = $('branch').value || null;
    return api('PUT', 'conversations/' + state.conversationId + '/active-branch', { branchId: id })
      .then(loadConversation)
      .then(function () { setStatus('Switched to ' + (id ? 'branch ' + id.slice(0, 8) : 'the main branch')); });
  }
  function regenerate(messageId) {
    if (state.busy) return;
    api('POST', 'conversations/' + state.conversationId + '/branches', { messageId: messageId, run: { agent: agent() } })
      .then(function (r) {
        return loadConversation().then(function () { return follow(r.run.runId); });
      })
      .catch(function (e) { setStatus('Error: ' + e.message); });
  }

  // ---- a run's events over SSE (fetch, so the token goes in a header) ----
  function follow(runId) {
    state.runId = runId;
    state.busy = true;
    $('send').disabled = true;
    var view = { bubble: null, bars: {}, lastId: null };
    setStatus('Run ' + runId + ' running');
    return stream(runId, view, 0).then(function () {
      state.busy = false;
      $('send').disabled = false;
      return api('GET', 'runs/' + encodeURIComponent(runId));
    }).then(function (run) {
      var u = run.usage || {};
      var line = 'Run ' + runId + ' ' + run.status;
      if (u.totalTokens) line += ' · ' + u.totalTokens + ' tokens' + (typeof u.cost === 'number' ? ' · $' + u.cost.toFixed(4) : '');
      setStatus(line);
      var done = add(el('div', 'line final', '✓ ' + run.status + (run.links && run.links.ui ? ' · ' : '')));
      done.setAttribute('data-status', run.status);
      if (run.links && run.links.ui) { var a = done.appendChild(el('a', '', 'Temporal UI')); a.href = run.links.ui; a.target = '_blank'; }
      if (state.conversationId) return loadConversation().then(loadConversations);
    }).catch(function (e) {
      state.busy = false;
      $('send').disabled = false;
      setStatus('Error: ' + e.message);
    });
  }
  function stream(runId, view, attempt) {
    var h = headers({ accept: 'text/event-stream' });
    if (view.lastId) h['last-event-id'] = view.lastId;
    return fetch('runs/' + encodeURIComponent(runId) + '/events', { headers: h }).then(function (res) {
      if (res.status === 204) return true;
      if (!res.ok) return res.json().then(function (j) { throw new Error(j.error.message); });
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      var ended = false;
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) return ended;
          buffer += decoder.decode(r.value, { stream: true });
          var cut;
          while ((cut = buffer.indexOf('\\n\\n')) >= 0) {
            var block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            var id = null, data = [], kind = null;
            block.split('\\n').forEach(function (line) {
              if (line.indexOf('id: ') === 0) id = line.slice(4);
              else if (line.indexOf('data: ') === 0) data.push(line.slice(6));
              else if (line.indexOf('event: ') === 0) kind = line.slice(7);
            });
            if (kind === 'error') throw new Error(JSON.parse(data.join('\\n')).error.message);
            if (id === null || !data.length) continue;
            view.lastId = id;
            var ev = JSON.parse(data.join('\\n'));
            show(ev, view);
            if (/^run\\.(succeeded|failed|cancelled|timed_out|terminated)$/.test(ev.type)) ended = true;
          }
          return pump();
        });
      }
      return pump();
    }).then(function (ended) {
      if (ended) return;
      if (attempt > 10) throw new Error('the event stream keeps dropping');
      // Cut before the terminal event: resume after the last event seen.
      return new Promise(function (r) { setTimeout(r, 500); }).then(function () { return stream(runId, view, attempt + 1); });
    });
  }
  function show(ev, view) {
    var p = ev.payload || {};
    switch (ev.type) {
      case 'assistant.delta':
        if (!view.bubble) view.bubble = add(el('div', 'msg assistant streaming', ''));
        view.bubble.textContent += p.delta || '';
        $('log').scrollTop = $('log').scrollHeight;
        return;
      case 'assistant.retry':
        if (view.bubble) { view.bubble.textContent = ''; }
        return;
      case 'assistant.message':
        if (view.bubble) { view.bubble.classList.remove('streaming'); view.bubble = null; }
        else if (p.content) add(el('div', 'msg assistant', text(p.content)));
        return;
      case 'tool.call':
        add(el('div', 'line tool', '→ ' + (p.toolCall && p.toolCall.name) + '(' + short(p.toolCall && p.toolCall.arguments, 120) + ')'));
        return;
      case 'tool.result':
        add(el('div', 'line ' + (p.isError ? 'error' : 'result'), (p.isError ? '✗ ' : '← ') + p.name + ': ' + short(p.isError ? p.error : p.result, 160)));
        return;
      case 'tool.approval_requested': {
        var box = add(el('div', 'approval'));
        box.setAttribute('data-tool-call-id', p.toolCallId);
        box.appendChild(el('div', '', 'Allow ' + (p.toolCall && p.toolCall.name) + '(' + short(p.toolCall && p.toolCall.arguments, 120) + ')?'));
        var yes = box.appendChild(el('button', 'approve', 'Approve'));
        var no = box.appendChild(el('button', 'reject', 'Reject'));
        var decide = function (verb) {
          yes.disabled = no.disabled = true;
          api('POST', 'runs/' + encodeURIComponent(ev.runId) + '/tool-calls/' + encodeURIComponent(p.toolCallId) + '/' + verb, {})
            .catch(function (e) { setStatus('Error: ' + e.message); yes.disabled = no.disabled = false; });
        };
        yes.onclick = function () { decide('approve'); };
        no.onclick = function () { decide('reject'); };
        return;
      }
      case 'tool.approval_decided': {
        var boxes = document.querySelectorAll('.approval[data-tool-call-id="' + p.toolCallId + '"]');
        boxes.forEach(function (b) {
          b.querySelectorAll('button').forEach(function (x) { x.remove(); });
          b.appendChild(el('div', 'decision', p.timedOut ? 'timed out' : p.approved ? 'approved' : 'rejected'));
        });
        return;
      }
      case 'step.started':
      case 'progress.update': {
        if (p.stepName === null || p.stepName === undefined) return;
        var bar = view.bars[p.stepName];
        if (!bar) {
          bar = view.bars[p.stepName] = add(el('div', 'progress'));
          bar.appendChild(el('div', 'label', ''));
          bar.appendChild(el('div', 'bar')).appendChild(el('div'));
        }
        var pct = typeof p.progressPercent === 'number' ? p.progressPercent : 0;
        bar.firstChild.textContent = 'step ' + (p.stepIndex + 1) + '/' + p.totalSteps + ' ' + p.stepName + ' — ' + (p.description || '') + ' (' + Math.round(pct) + '%)';
        bar.lastChild.firstChild.style.width = pct + '%';
        return;
      }
      case 'step.completed':
        add(el('div', 'line result', '✓ step ' + p.stepName + ' done'));
        return;
      case 'step.failed':
        add(el('div', 'line error', '✗ step ' + p.stepName + ' failed: ' + p.error));
        return;
      case 'run.failed': case 'run.cancelled': case 'run.timed_out': case 'run.terminated':
        add(el('div', 'line error', '✗ ' + ev.type.slice(4) + (p.error && p.error.message ? ': ' + p.error.message : '')));
        return;
      case 'error':
        add(el('div', 'line error', '! ' + short(p.message || p, 200)));
        return;
    }
  }

  // ---- sending ----
  function send() {
    var message = $('input').value.trim();
    if (!message || state.busy) return;
    var a = agent();
    if (!a) { setStatus('Pick an agent first'); return; }
    localStorage.setItem('agentRuntimeAgent', a);
    $('input').value = '';
    add(el('div', 'msg user', message));
    var ready = state.conversationId
      ? Promise.resolve()
      : api('POST', 'conversations', { title: message.slice(0, 60), agentKey: a }).then(function (c) {
          state.conversationId = c.id;
          return loadConversations();
        });
    ready.then(function () {
      return api('POST', 'runs', { agent: a, conversationId: state.conversationId, message: message });
    }).then(function (run) { return follow(run.runId); })
      .catch(function (e) { setStatus('Error: ' + e.message); });
  }

  $('send').onclick = send;
  $('input').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); }
  });
  $('conversation').onchange = function () {
    state.conversationId = $('conversation').value || null;
    loadConversation();
  };
  $('branch').onchange = switchBranch;
  $('agent').onchange = function () { localStorage.setItem('agentRuntimeAgent', agent()); };
  if (needsToken) {
    $('token-field').style.display = '';
    $('token').value = token();
    $('token').onchange = function () { localStorage.setItem('agentRuntimeToken', $('token').value.trim()); init(); };
  }
  function init() {
    return Promise.all([loadAgents(), loadConversations()])
      .then(function () { setStatus('Ready'); })
      .catch(function (e) { setStatus(needsToken && !token() ? 'Enter your API token' : 'Error: ' + e.message); });
  }
  init();
})();
`;

/** The chat page's HTML. */
export function chatPageHtml(options: ChatPageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agent-runtime chat</title>
<style>${STYLE}</style>
</head>
<body data-auth="${options.auth ? '1' : '0'}">
<header>
  <h1>agent-runtime</h1>
  <label>Agent <select id="agent"></select><input id="agent-free" placeholder="agent key" size="14" style="display:none"></label>
  <label>Conversation <select id="conversation"></select></label>
  <label>Branch <select id="branch"></select></label>
  <label id="token-field" style="display:none">Token <input id="token" type="password" size="16"></label>
</header>
<main id="log" aria-live="polite"></main>
<div id="status">Loading…</div>
<footer>
  <textarea id="input" placeholder="Message (Enter to send)"></textarea>
  <button id="send">Send</button>
</footer>
<script>${SCRIPT}</script>
</body>
</html>`;
}
