// Time as the modules see it: the real clock by default, a fake one in tests.
export const realClock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (timer) => globalThis.clearTimeout(timer),
});
