// The peer of the hello component (tests/conformance/fixtures/hello): every request gets
// `200 hello, wasmart` as text/plain. Environment: PORT (default 3102).

import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use((req, res) => res.type('text/plain').send('hello, wasmart\n'));
const port = Number(process.env.PORT ?? 3102);
app.listen(port, '127.0.0.1', () => console.log(`hello on http://127.0.0.1:${port}`));
