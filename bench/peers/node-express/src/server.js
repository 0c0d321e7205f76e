// How each of the peer's processes starts: its settings from the environment, and listening
// on loopback.

/** `process.env[name]`, or exit with a message naming it. */
export function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set`);
    process.exit(2);
  }
  return value;
}

/** Serves `app` on 127.0.0.1 at `PORT` (else `defaultPort`). */
export function serve(app, name, defaultPort) {
  const port = Number(process.env.PORT ?? defaultPort);
  app.listen(port, '127.0.0.1', () => console.log(`${name} on http://127.0.0.1:${port}`));
}
