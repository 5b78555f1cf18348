/**
 * Whether elements are on screen (or about to be), from one shared IntersectionObserver.
 * Live cells that nobody can see skip their DOM writes and repaint when they scroll into
 * view: a 500-row device grid at 4 Hz spent ~110 ms of script, style, layout and paint per
 * update, nearly all of it on rows outside the viewport (`npm run bench:ui`).
 */
type Listener = (visible: boolean) => void;

/** Rows this close to the viewport count as visible, so they are painted before they show. */
const MARGIN = '300px 0px';

let observer: IntersectionObserver | null = null;
const listeners = new Map<Element, Listener>();

/**
 * Calls `listener` with the element's visibility now (asynchronously, at the next rendering
 * step) and whenever it changes. Returns the unsubscribe. Without IntersectionObserver the
 * element is simply never reported hidden.
 */
export function observeVisibility(el: Element, listener: Listener): () => void {
  if (typeof IntersectionObserver === 'undefined') return () => {};
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) listeners.get(entry.target)?.(entry.isIntersecting);
    },
    { rootMargin: MARGIN },
  );
  listeners.set(el, listener);
  observer.observe(el);
  return () => {
    listeners.delete(el);
    observer?.unobserve(el);
  };
}
