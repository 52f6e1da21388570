// A refresh that runs at most once per `ms`: bursts of gateway events (a streaming run
// changes its session many times a second) collapse into one request, and the last
// event of a burst is never lost (trailing call).
export interface Throttled {
  (): void;
  cancel(): void;
}

export function throttle(fn: () => void, ms: number): Throttled {
  let last = 0;
  let timer = 0;
  const run = () => {
    timer = 0;
    last = Date.now();
    fn();
  };
  const call = (() => {
    if (timer) return;
    timer = window.setTimeout(run, Math.max(0, last + ms - Date.now()));
  }) as Throttled;
  call.cancel = () => {
    clearTimeout(timer);
    timer = 0;
  };
  return call;
}
