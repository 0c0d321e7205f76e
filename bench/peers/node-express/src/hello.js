// The peer of the hello component (tests/conformance/fixtures/hello): every request gets
// `200 hello, wasmart` as text/plain. Environment: PORT (default 3102).

import express from 'express';

import { serve } from './server.js';

const app = express();
app.disable('x-powered-by');
app.use((req, res) => res.type('text/plain').send('hello, wasmart\n'));
serve(app, 'hello', 3102);
