// Playground: an event (pasted, or a stored one), a route's Rego and
// template, evaluated by the server with the same compiler and limits as the
// running config, without delivering. Problems point at line and column.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from './api';
import { ErrorBox, errorText, Section, useLoad } from './common';
import type { Location } from './router';

interface Problem { where: 'input' | 'template' | 'other'; line?: number; column?: number; message: string }
interface Answer {
  problems: Problem[];
  matched: Array<{ route: string; template?: string; templateError?: string; actions: Array<{ action: string; message: { title: string; body: string; url?: string } }> }>;
  notMatched: Array<{ route: string; reason: string }>;
  evaluationMs?: number;
}
interface RouteInfo { name: string; input: string | null; templateSource: string | null }

/** A textarea with line numbers; lines with a problem are marked and the caret can be sent to one. */
function Editor({ label, value, onInput, problems, rows = 10, id }: { label: string; value: string; onInput(v: string): void; problems: Problem[]; rows?: number; id: string }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = Math.max(value.split('\n').length, rows);
  const bad = new Set(problems.map((p) => p.line));
  const goTo = (p: Problem) => {
    const ta = ref.current;
    if (!ta || !p.line) return;
    const ls = value.split('\n');
    let pos = 0;
    for (let i = 0; i < p.line - 1 && i < ls.length; i++) pos += ls[i]!.length + 1;
    pos += Math.max(0, (p.column ?? 1) - 1);
    ta.focus();
    ta.setSelectionRange(pos, pos + 1);
  };
  return (
    <div class="editor-wrap">
      <label for={id}>{label}</label>
      <div class="editor">
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => <div class={bad.has(i + 1) ? 'bad' : ''}>{i + 1}</div>)}
        </div>
        <textarea id={id} ref={ref} rows={rows} spellcheck={false} value={value}
          onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = (e.target as HTMLTextAreaElement).scrollTop; }}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)} />
      </div>
      {problems.map((p) => (
        <p class="problem" role="alert">
          <button class="link" onClick={() => goTo(p)}>{p.line ? `line ${p.line}${p.column ? `, column ${p.column}` : ''}` : 'problem'}</button>: {p.message}
        </p>
      ))}
    </div>
  );
}

export function PlaygroundPage({ loc }: { loc: Location }) {
  const routes = useLoad<{ routes: RouteInfo[] }>(() => get('routes'), []);
  const [eventId, setEventId] = useState(loc.params.get('event') ?? '');
  const [eventText, setEventText] = useState('{\n  "rule": "Terminal shell in container",\n  "priority": "Warning"\n}');
  const [route, setRoute] = useState(loc.params.get('route') ?? '');
  const [input, setInput] = useState('');
  const [template, setTemplate] = useState('');
  const [answer, setAnswer] = useState<Answer>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  // A stored event fills the editor, so it can be edited before running.
  useEffect(() => {
    if (!eventId) return;
    get<{ event: { body: unknown } }>(`events/${encodeURIComponent(eventId)}`).then((d) => setEventText(JSON.stringify(d.event.body, null, 2)), (e) => setError(errorText(e)));
  }, [eventId]);
  useEffect(() => {
    const r = routes.data?.routes.find((x) => x.name === route);
    setInput(r?.input ?? '');
    setTemplate(r?.templateSource && !/^(rego-package|url|legacy renderer):/.test(r.templateSource) ? r.templateSource : '');
  }, [route, routes.data]);

  const run = async (e?: Event) => {
    e?.preventDefault();
    setError(undefined);
    let event: unknown;
    try { event = JSON.parse(eventText); } catch (x) { setError(`The event is not JSON: ${(x as Error).message}`); return; }
    setBusy(true);
    try {
      setAnswer(await post<Answer>('playground', { event, ...(route ? { route, input, template } : {}) }));
    } catch (x) { setError(errorText(x)); }
    setBusy(false);
  };
  useEffect(() => {
    const on = (e: KeyboardEvent) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') void run(); };
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  });
  const problems = answer?.problems ?? [];
  return (
    <div>
      <h1>Playground</h1>
      <p class="muted">Evaluated on the server with the running routes (one edited), the same compiler and evaluation limits; nothing is stored or delivered. Ctrl+Enter runs.</p>
      <form class="playground" onSubmit={run}>
        <div class="col">
          <label>Stored event id (optional)<input name="eventId" value={eventId} onChange={(e) => setEventId((e.target as HTMLInputElement).value.trim())} placeholder="paste an event id, or edit the JSON below" /></label>
          <Editor id="event" label="Event (JSON)" value={eventText} onInput={setEventText} problems={[]} rows={14} />
        </div>
        <div class="col">
          <label>Route to edit<select name="route" value={route} onChange={(e) => setRoute((e.target as HTMLSelectElement).value)}>
            <option value="">(run the routes as they are)</option>
            {(routes.data?.routes ?? []).map((r) => <option value={r.name}>{r.name}</option>)}
          </select></label>
          {route && <>
            <Editor id="input" label="Rego conditions (input)" value={input} onInput={setInput} problems={problems.filter((p) => p.where === 'input')} rows={6} />
            <Editor id="template" label="Template (Rego module; empty keeps the route's)" value={template} onInput={setTemplate} problems={problems.filter((p) => p.where === 'template')} rows={8} />
          </>}
          <button type="submit" disabled={busy}>{busy ? 'Running…' : 'Run'}</button>
        </div>
      </form>
      <ErrorBox error={error} />
      {problems.filter((p) => p.where === 'other').map((p) => <p class="problem" role="alert">{p.message}</p>)}
      {answer && problems.length === 0 && <>
        <Section title={`Would match (${answer.matched.length})`} actions={<span class="muted">{answer.evaluationMs?.toFixed(2)} ms</span>}>
          <ul class="results" aria-label="matched routes">
            {answer.matched.map((m) => (
              <li class="matched">
                <strong>{m.route}</strong>{m.template ? <span class="muted"> · template {m.template}</span> : null}
                {m.templateError && <p class="error">{m.templateError}</p>}
                {m.actions.map((a) => (
                  <details open>
                    <summary>{a.action} would receive</summary>
                    <p><strong>{a.message.title}</strong>{a.message.url ? ` · ${a.message.url}` : ''}</p>
                    <pre class="body">{a.message.body}</pre>
                  </details>
                ))}
              </li>
            ))}
          </ul>
        </Section>
        <Section title={`Would not match (${answer.notMatched.length})`}>
          <ul class="results">{answer.notMatched.map((n) => <li class="skipped"><strong>{n.route}</strong>: {n.reason}</li>)}</ul>
        </Section>
      </>}
    </div>
  );
}
