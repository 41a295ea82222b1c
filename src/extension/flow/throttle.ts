/** A rate limit for what the host shows while a job reports (no vscode import: unit-tested in Node). */

/** Calls `show` with the latest value at most once per `ms`; a value that arrives in between is shown at the end of it. */
export function throttled<T>(ms: number, show: (value: T) => void): { push(value: T): void; cancel(): void } {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: { value: T } | undefined;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    const { value } = pending;
    pending = undefined;
    last = Date.now();
    show(value);
  };
  return {
    push(value: T) {
      pending = { value };
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}
