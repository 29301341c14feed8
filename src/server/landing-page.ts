import { createHash } from 'node:crypto';

/**
 * A placeholder page at `/` so `souk demo` shows something in a browser; the real web app will live in
 * `web/`. It talks to the server only through `/search`, like any other client.
 */

const SCRIPT = `
const form = document.querySelector('form');
const input = document.querySelector('input');
const summary = document.querySelector('#summary');
const results = document.querySelector('#results');
let timer;
let latest = 0;

async function run() {
  const ticket = ++latest;
  const params = new URLSearchParams({ q: input.value, limit: '24' });
  const response = await fetch('/search?' + params);
  const body = await response.json();
  if (ticket !== latest) return;
  results.replaceChildren();
  if (!response.ok) {
    summary.textContent = body.error ? body.error.message : 'Search failed';
    return;
  }
  summary.textContent = body.total + ' products' + (body.query ? ' for "' + body.query + '"' : '') + ' in ' + body.tookMs + ' ms';
  for (const hit of body.hits) {
    const card = document.createElement('li');
    if (hit.image) {
      const img = document.createElement('img');
      img.src = hit.image;
      img.alt = '';
      img.loading = 'lazy';
      card.append(img);
    }
    const title = document.createElement('div');
    title.className = 'title';
    // The engine HTML-escapes the title before adding <mark> tags, so the highlight is safe as markup.
    if (hit.highlight) title.innerHTML = hit.highlight;
    else title.textContent = hit.title;
    card.append(title);
    if (hit.price !== undefined) {
      const price = document.createElement('div');
      price.className = 'price';
      price.textContent = hit.price.toFixed(2) + ' ' + (hit.currency || '');
      card.append(price);
    }
    results.append(card);
  }
}

form.addEventListener('submit', (event) => { event.preventDefault(); run(); });
input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 120); });
run();
`;

/** Lets the Content-Security-Policy allow exactly this inline script and nothing else. */
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

export const LANDING_PAGE_CSP =
  `default-src 'self'; img-src 'self' http: https: data:; style-src 'unsafe-inline'; ` +
  `script-src 'sha256-${SCRIPT_HASH}'; connect-src 'self'`;

export const LANDING_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>souk</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  form { display: flex; gap: .5rem; }
  input { flex: 1; font: inherit; padding: .6rem .8rem; border: 1px solid #bbb; border-radius: 6px; }
  button { font: inherit; padding: .6rem 1rem; border-radius: 6px; border: 1px solid #888; background: #f4f4f4; }
  #summary { color: #666; margin: .8rem 0; min-height: 1.4em; }
  #results { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 1rem; }
  #results li { border: 1px solid #e3e3e3; border-radius: 8px; padding: .6rem; }
  #results img { width: 100%; aspect-ratio: 4 / 5; object-fit: contain; background: #fafafa; }
  .title { margin: .4rem 0 .2rem; }
  .price { font-weight: 600; }
  mark { background: #ffe58a; padding: 0 1px; }
</style>
</head>
<body>
<h1>souk product search</h1>
<form role="search">
  <input type="search" name="q" placeholder="Search products, e.g. hoodie, yoga pants, blue jacket" autofocus>
  <button type="submit">Search</button>
</form>
<div id="summary" aria-live="polite"></div>
<ul id="results"></ul>
<script>${SCRIPT}</script>
</body>
</html>
`;
