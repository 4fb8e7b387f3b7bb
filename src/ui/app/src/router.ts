// Client-side routing under /ui/ with the History API: links stay real links
// (open in a new tab, keyboard focus), clicks on them just swap the page.
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui/';

export function navigate(path: string): void {
  history.pushState(null, '', BASE + path.replace(/^\//, ''));
  dispatchEvent(new PopStateEvent('popstate'));
}

export interface Location { path: string; params: URLSearchParams }

function current(): Location {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  return { path: p.replace(/\/+$/, ''), params: new URLSearchParams(location.search) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const on = () => setLoc(current());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return loc;
}

/** Intercepts plain left clicks on same-app links. */
export function installLinkHandler(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    const href = a?.getAttribute('href');
    if (!a || !href || !href.startsWith(BASE) || a.target) return;
    e.preventDefault();
    history.pushState(null, '', href);
    dispatchEvent(new PopStateEvent('popstate'));
  });
}
