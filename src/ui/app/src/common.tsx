// Small pieces every page uses: loading a resource, time formatting, state
// badges, collapsible JSON, a "more" button for cursor pages.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Loaded<T> { data?: T; error?: string; loading: boolean; reload(): void }

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then((data) => { if (live) setState({ data, loading: false }); }, (e: Error) => { if (live) setState({ error: e.message, loading: false }); });
    return () => { live = false; };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function fmtTime(ms: number | undefined | null): string {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}Z`;
}

export function State({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}

export function ErrorBox({ error }: { error?: string }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

export function Json({ value, open = true, label }: { value: unknown; open?: boolean; label?: string }) {
  return (
    <details class="json" open={open}>
      <summary>{label ?? 'JSON'}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      <header class="card-head"><h2>{title}</h2>{actions}</header>
      {children}
    </section>
  );
}

export function errorText(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

/** A list read page by page: `next` is the server's cursor for the following page. */
export function usePaged<T>(fetchPage: (cursor?: string) => Promise<{ items: T[]; next?: string }>, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    fetchPage().then((p) => { if (live) { setItems(p.items); setNext(p.next); setError(undefined); setLoading(false); } }, (e) => { if (live) { setError(errorText(e)); setLoading(false); } });
    return () => { live = false; };
  }, [...deps, tick]);
  const more = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const p = await fetchPage(next);
      setItems((xs) => [...xs, ...p.items]);
      setNext(p.next);
    } catch (e) { setError(errorText(e)); }
    setLoading(false);
  };
  return { items, next, error, loading, more, reload: () => setTick((t) => t + 1) };
}

export function More({ next, loading, more }: { next?: string; loading: boolean; more(): void }) {
  if (loading) return <p class="muted">Loading…</p>;
  return next ? <button class="more" onClick={more}>Load more</button> : null;
}
