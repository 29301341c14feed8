// The souk shopper page: talks to the server only through its public HTTP API
// (/search, /search/image, /suggest, /events/click). No build step, no dependencies.
import { applyTranslations, language, setLanguage, t } from './i18n.js';

const PAGE_SIZE = 24;
const FACETS = ['category', 'brand', 'color', 'size', 'price'];
const LIST_FACETS = ['brand', 'color', 'size'];

const $ = (selector) => document.querySelector(selector);
const form = $('#search-form');
const input = $('#q');
const suggestionList = $('#suggestions');
const results = $('#results');
const summary = $('#summary');
const facetList = $('#facet-list');
const sortSelect = $('#sort');
const pager = $('#pager');
const photoInput = $('#photo');

const state = {
  q: '',
  category: '',
  lists: { brand: new Set(), color: new Set(), size: new Set() },
  price: null, // {min, max} when the shopper moved the slider
  priceBounds: null, // the slider's range, from the last result without a price filter
  sort: 'relevance',
  page: 0,
  photo: null, // a File when searching by image
  last: null, // the last response
  ticket: 0,
};

const sessionId = (() => {
  try {
    let id = sessionStorage.getItem('souk.session');
    if (!id) {
      id = crypto.randomUUID();
      sessionStorage.setItem('souk.session', id);
    }
    return id;
  } catch {
    return undefined;
  }
})();

// ---- search -----------------------------------------------------------------------------------------

function quote(value) {
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** The filter expression for the current selections, in souk's filter syntax. */
export function filterExpression() {
  const parts = [];
  if (state.category) parts.push(`category = ${quote(state.category)}`);
  for (const name of LIST_FACETS) {
    const values = [...state.lists[name]];
    if (values.length > 0) parts.push(`${name} IN [${values.map(quote).join(', ')}]`);
  }
  if (state.price) parts.push(`price ${state.price.min} TO ${state.price.max}`);
  return parts.join(' AND ');
}

function hasFilters() {
  return Boolean(state.category || state.price || LIST_FACETS.some((name) => state.lists[name].size > 0));
}

async function runSearch() {
  const ticket = ++state.ticket;
  const params = {
    filter: filterExpression(),
    facets: FACETS.join(','),
    limit: String(PAGE_SIZE),
    offset: String(state.page * PAGE_SIZE),
  };
  if (state.sort !== 'relevance') params.sort = state.sort;
  let response;
  try {
    if (state.photo) {
      const body = new FormData();
      body.append('image', state.photo);
      for (const [name, value] of Object.entries(params)) if (value) body.append(name, value);
      if (state.q) body.append('q', state.q);
      response = await fetch('/search/image', { method: 'POST', body });
    } else {
      const query = new URLSearchParams({ q: state.q, ...params });
      for (const [name, value] of [...query]) if (!value && name !== 'q') query.delete(name);
      response = await fetch('/search?' + query);
    }
    const body = await response.json();
    if (ticket !== state.ticket) return;
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    state.last = body;
    if (!state.price && body.facets?.price?.min !== undefined) {
      state.priceBounds = { min: Math.floor(body.facets.price.min), max: Math.ceil(body.facets.price.max) };
    }
    render();
  } catch (error) {
    if (ticket !== state.ticket) return;
    state.last = null;
    results.replaceChildren();
    facetList.replaceChildren();
    pager.hidden = true;
    summary.textContent = t('error', { message: error.message });
  } finally {
    if (ticket === state.ticket) document.body.dataset.state = 'idle';
  }
}

function search({ keepPage = false } = {}) {
  if (!keepPage) state.page = 0;
  document.body.dataset.state = 'loading';
  writeUrl();
  return runSearch();
}

// ---- rendering --------------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}

/** The engine's highlight (escaped title with <mark> tags) rebuilt as DOM nodes, keeping only <mark>. */
function highlighted(html, fallback) {
  const doc = new DOMParser().parseFromString(`<div>${html ?? ''}</div>`, 'text/html');
  const root = doc.body.firstElementChild;
  if (!html || !root) return [document.createTextNode(fallback)];
  return [...root.childNodes].map((node) =>
    node.nodeName === 'MARK'
      ? el('mark', { text: node.textContent })
      : document.createTextNode(node.textContent),
  );
}

function formatPrice(price, currency) {
  try {
    return new Intl.NumberFormat(language() === 'zh' ? 'zh-CN' : 'en-US', {
      style: 'currency',
      currency: currency || 'USD',
    }).format(price);
  } catch {
    return `${price.toFixed(2)} ${currency ?? ''}`.trim();
  }
}

function stars(rating) {
  const full = Math.round(rating);
  return '★'.repeat(full) + '☆'.repeat(Math.max(0, 5 - full));
}

function render() {
  const body = state.last;
  if (!body) return;
  const ms = Math.round(body.tookMs ?? 0);
  summary.dataset.total = String(body.total);
  summary.textContent = state.photo
    ? t('summaryPhoto', { total: body.total, ms })
    : body.query
      ? t('summary', { total: body.total, q: body.query, ms })
      : t('summaryAll', { total: body.total, ms });

  const dym = $('#did-you-mean');
  dym.hidden = !body.suggestion;
  $('#did-you-mean-query').textContent = body.suggestion ?? '';

  results.replaceChildren(
    ...body.hits.map((hit, index) => {
      const position = state.page * PAGE_SIZE + index + 1;
      const image = hit.image ?? hit.images?.[0];
      return el(
        'li',
        { class: 'card', 'data-id': hit.id },
        el(
          'a',
          {
            href: image ?? '#',
            class: 'card-link',
            'data-position': position,
            onclick: (event) => onResultClick(event, hit, position),
          },
          el(
            'div',
            { class: 'photo' },
            image ? el('img', { src: image, alt: '', loading: index < 8 ? 'eager' : 'lazy' }) : undefined,
          ),
          el('span', { class: 'title' }, ...highlighted(hit.highlight, hit.title)),
        ),
        hit.brand ? el('span', { class: 'brand', text: hit.brand }) : undefined,
        hit.price !== undefined
          ? el('span', {
              class: 'price',
              'data-price': hit.price,
              text: formatPrice(hit.price, hit.currency),
            })
          : undefined,
        hit.rating !== undefined
          ? el(
              'span',
              {
                class: 'rating',
                'data-rating': hit.rating,
                'aria-label': t('rating', { rating: hit.rating }),
              },
              el('span', { 'aria-hidden': 'true', text: stars(hit.rating) }),
            )
          : undefined,
      );
    }),
  );
  if (body.hits.length === 0) results.append(el('li', { class: 'empty', text: t('noResults') }));

  const pages = Math.max(1, Math.ceil(body.total / PAGE_SIZE));
  pager.hidden = pages <= 1;
  $('#page-info').textContent = t('page', { page: state.page + 1, pages });
  $('#prev').disabled = state.page === 0;
  $('#next').disabled = state.page + 1 >= pages;
  renderFacets(body.facets ?? {});
}

function renderFacets(facets) {
  const groups = [];
  const categories = facets.category?.values ?? [];
  if (categories.length > 0 || state.category) groups.push(categoryGroup(categories));
  for (const name of LIST_FACETS) {
    const values = facets[name]?.values ?? [];
    const selected = state.lists[name];
    const shown = new Map(values.map((v) => [v.value, v.count]));
    for (const value of selected) if (!shown.has(value)) shown.set(value, 0);
    if (shown.size === 0) continue;
    groups.push(
      el(
        'fieldset',
        { class: 'facet', 'data-facet': name },
        el('legend', { text: t(name) }),
        ...[...shown].slice(0, 20).map(([value, count]) =>
          el(
            'label',
            { class: 'option' },
            el('input', {
              type: 'checkbox',
              'data-facet': name,
              'data-value': value,
              checked: selected.has(value),
              onchange: (event) => {
                if (event.target.checked) selected.add(value);
                else selected.delete(value);
                search();
              },
            }),
            el('span', { class: 'value', text: value }),
            el('span', { class: 'count', text: String(count) }),
          ),
        ),
      ),
    );
  }
  if (state.priceBounds && state.priceBounds.max > state.priceBounds.min) groups.push(priceGroup());
  facetList.replaceChildren(...groups);
  $('#clear-filters').hidden = !hasFilters();
}

/** Category paths ("Men > Tops") as a tree: the selected path's ancestors, itself and its children. */
function categoryGroup(values) {
  const counts = new Map(values.map((v) => [v.value, v.count]));
  const selected = state.category;
  const depth = selected ? selected.split(' > ').length : 0;
  const items = [];
  if (selected) {
    items.push(categoryButton('', t('allCategories'), undefined, 0, false));
    const parts = selected.split(' > ');
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join(' > ');
      items.push(categoryButton(path, part, counts.get(path), i + 1, path === selected));
    });
  }
  for (const [path, count] of counts) {
    const parts = path.split(' > ');
    if (parts.length !== depth + 1) continue;
    if (selected && !path.startsWith(selected + ' > ')) continue;
    items.push(categoryButton(path, parts[parts.length - 1], count, depth + 1, false));
  }
  return el(
    'fieldset',
    { class: 'facet tree', 'data-facet': 'category' },
    el('legend', { text: t('category') }),
    ...items,
  );
}

function categoryButton(path, label, count, level, current) {
  return el(
    'button',
    {
      type: 'button',
      class: 'tree-item',
      style: `--level: ${level}`,
      'data-facet': 'category',
      'data-value': path,
      'aria-current': current ? 'true' : undefined,
      onclick: () => {
        state.category = path;
        search();
      },
    },
    el('span', { class: 'value', text: label }),
    count !== undefined ? el('span', { class: 'count', text: String(count) }) : undefined,
  );
}

function priceGroup() {
  const bounds = state.priceBounds;
  const current = state.price ?? bounds;
  const output = el('output', { class: 'price-range', text: `${current.min} – ${current.max}` });
  const slider = (which) =>
    el('input', {
      type: 'range',
      id: `price-${which}`,
      min: bounds.min,
      max: bounds.max,
      step: 1,
      value: current[which],
      'aria-label': t(which === 'min' ? 'priceMin' : 'priceMax'),
      oninput: () => {
        const min = Number($('#price-min').value);
        const max = Number($('#price-max').value);
        output.textContent = `${Math.min(min, max)} – ${Math.max(min, max)}`;
      },
      onchange: () => {
        const min = Number($('#price-min').value);
        const max = Number($('#price-max').value);
        const range = { min: Math.min(min, max), max: Math.max(min, max) };
        state.price = range.min <= bounds.min && range.max >= bounds.max ? null : range;
        search();
      },
    });
  return el(
    'fieldset',
    { class: 'facet', 'data-facet': 'price' },
    el('legend', { text: t('price') }),
    slider('min'),
    slider('max'),
    output,
  );
}

// ---- clicks as feedback -----------------------------------------------------------------------------

function onResultClick(event, hit, position) {
  event.preventDefault();
  const body = { productId: hit.id, query: state.q, position };
  if (sessionId) body.sessionId = sessionId;
  fetch('/events/click', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    keepalive: true,
  }).catch(() => undefined);
  document.body.dataset.lastClick = hit.id;
  showProduct(hit, event.currentTarget);
}

/** A dialog with the product's photos, price and description (from GET /products/{id}). */
async function showProduct(hit, opener) {
  const dialog = $('#product');
  const response = await fetch(`/products/${encodeURIComponent(hit.id)}`).catch(() => null);
  const product = response?.ok ? await response.json() : {};
  const images = hit.images?.length ? hit.images : hit.image ? [hit.image] : [];
  $('#product-title').textContent = hit.title;
  $('#product-price').textContent = hit.price !== undefined ? formatPrice(hit.price, hit.currency) : '';
  $('#product-category').textContent = (hit.category ?? []).join(' › ');
  $('#product-description').textContent = product.description ?? '';
  $('#product-images').replaceChildren(...images.slice(0, 4).map((src) => el('img', { src, alt: '' })));
  dialog.addEventListener('close', () => opener.focus(), { once: true });
  dialog.showModal();
}

// ---- suggestions ------------------------------------------------------------------------------------

let suggestTimer;
let suggestTicket = 0;
let suggestEndpoint = true; // false once /suggest answered 404: fall back to product titles
let active = -1;

async function fetchSuggestions(q) {
  if (suggestEndpoint) {
    const response = await fetch('/suggest?' + new URLSearchParams({ q }));
    if (response.status === 404) suggestEndpoint = false;
    else if (response.ok) return ((await response.json()).suggestions ?? []).map((s) => s.text);
    else return [];
  }
  const response = await fetch('/search?' + new URLSearchParams({ q, limit: '6', prefix: 'true' }));
  if (!response.ok) return [];
  const titles = (await response.json()).hits.map((hit) => hit.title);
  return [...new Set(titles)];
}

function closeSuggestions() {
  suggestionList.hidden = true;
  suggestionList.replaceChildren();
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
  active = -1;
}

function showSuggestions(items) {
  active = -1;
  input.removeAttribute('aria-activedescendant');
  if (items.length === 0) return closeSuggestions();
  suggestionList.replaceChildren(
    ...items.slice(0, 8).map((text, i) =>
      el('li', {
        id: `suggestion-${i}`,
        role: 'option',
        'aria-selected': 'false',
        text,
        onmousedown: (event) => event.preventDefault(),
        onclick: () => pickSuggestion(text),
      }),
    ),
  );
  suggestionList.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}

function moveActive(step) {
  const options = [...suggestionList.children];
  if (options.length === 0) return;
  active = (active + step + options.length + 1) % (options.length + 1);
  if (active === options.length) active = -1;
  options.forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
  if (active >= 0) input.setAttribute('aria-activedescendant', options[active].id);
  else input.removeAttribute('aria-activedescendant');
}

function pickSuggestion(text) {
  input.value = text;
  closeSuggestions();
  submit();
}

input.addEventListener('input', () => {
  clearTimeout(suggestTimer);
  const q = input.value.trim();
  if (!q) return closeSuggestions();
  suggestTimer = setTimeout(async () => {
    const ticket = ++suggestTicket;
    const items = await fetchSuggestions(q).catch(() => []);
    if (ticket === suggestTicket && input.value.trim() === q && document.activeElement === input) {
      showSuggestions(items);
    }
  }, 80);
});

input.addEventListener('keydown', (event) => {
  const open = !suggestionList.hidden;
  if (event.key === 'ArrowDown' && open) moveActive(1);
  else if (event.key === 'ArrowUp' && open) moveActive(-1);
  else if (event.key === 'Escape' && open) closeSuggestions();
  else if (event.key === 'Enter' && open && active >= 0)
    pickSuggestion(suggestionList.children[active].textContent);
  else return;
  event.preventDefault();
});
input.addEventListener('blur', () => setTimeout(closeSuggestions, 100));

function submit() {
  clearTimeout(suggestTimer);
  suggestTicket++;
  closeSuggestions();
  state.q = input.value.trim();
  search();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit();
});

// ---- sort, pages, filters ---------------------------------------------------------------------------

sortSelect.addEventListener('change', () => {
  state.sort = sortSelect.value;
  search();
});
$('#prev').addEventListener('click', () => {
  if (state.page > 0) state.page--;
  search({ keepPage: true }).then(() => window.scrollTo(0, 0));
});
$('#next').addEventListener('click', () => {
  state.page++;
  search({ keepPage: true }).then(() => window.scrollTo(0, 0));
});
$('#clear-filters').addEventListener('click', () => {
  state.category = '';
  for (const name of LIST_FACETS) state.lists[name].clear();
  state.price = null;
  search();
});
$('#product-close').addEventListener('click', () => $('#product').close());
$('#did-you-mean-query').addEventListener('click', (event) => {
  input.value = event.currentTarget.textContent;
  submit();
});

// ---- search by image --------------------------------------------------------------------------------

function searchByPhoto(file) {
  if (!file || !file.type.startsWith('image/')) return;
  state.photo = file;
  const thumb = $('#photo-thumb');
  if (thumb.src.startsWith('blob:')) URL.revokeObjectURL(thumb.src);
  thumb.src = URL.createObjectURL(file);
  $('#photo-name').textContent = t('photoChip', { name: file.name || 'image' });
  $('#photo-chip').hidden = false;
  state.q = input.value.trim();
  state.sort = sortSelect.value = 'relevance';
  state.priceBounds = null;
  search();
}

photoInput.addEventListener('change', () => {
  searchByPhoto(photoInput.files?.[0]);
  photoInput.value = '';
});
$('#clear-photo').addEventListener('click', () => {
  state.photo = null;
  $('#photo-chip').hidden = true;
  search();
  input.focus();
});

const overlay = $('#drop-overlay');
let dragDepth = 0;
const carriesFile = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
document.addEventListener('dragenter', (event) => {
  if (!carriesFile(event)) return;
  dragDepth++;
  overlay.hidden = false;
});
document.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    overlay.hidden = true;
  }
});
document.addEventListener('dragover', (event) => {
  if (carriesFile(event)) event.preventDefault();
});
document.addEventListener('drop', (event) => {
  if (!carriesFile(event)) return;
  event.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  searchByPhoto(event.dataTransfer.files[0]);
});

// ---- voice input ------------------------------------------------------------------------------------

const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
const voice = $('#voice');
if (Recognition) {
  voice.hidden = false;
  let recognition = null;
  voice.addEventListener('click', () => {
    if (recognition) return recognition.stop();
    recognition = new Recognition();
    recognition.lang = language() === 'zh' ? 'zh-CN' : 'en-US';
    recognition.interimResults = false;
    recognition.maxAlternatives = 1;
    recognition.onresult = (event) => {
      input.value = event.results[0][0].transcript;
      submit();
    };
    recognition.onend = () => {
      recognition = null;
      voice.classList.remove('listening');
      voice.setAttribute('aria-label', t('voice'));
    };
    voice.classList.add('listening');
    voice.setAttribute('aria-label', t('listening'));
    recognition.start();
  });
}

// ---- language, URL, start ---------------------------------------------------------------------------

for (const button of document.querySelectorAll('[data-lang]')) {
  button.addEventListener('click', () => {
    setLanguage(button.dataset.lang);
    render();
  });
}

document.addEventListener('keydown', (event) => {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
  if (event.key === '/' && !typing) {
    event.preventDefault();
    input.focus();
  }
});

function writeUrl() {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (state.sort !== 'relevance') params.set('sort', state.sort);
  if (state.page > 0) params.set('page', String(state.page + 1));
  const search = params.toString();
  history.replaceState(null, '', search ? `?${search}` : location.pathname);
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.q = params.get('q') ?? '';
  input.value = state.q;
  const sort = params.get('sort');
  if (sort && [...sortSelect.options].some((o) => o.value === sort)) state.sort = sortSelect.value = sort;
  const page = Number(params.get('page'));
  state.page = Number.isInteger(page) && page > 1 ? page - 1 : 0;
}

applyTranslations(document);
readUrl();
search({ keepPage: true });
