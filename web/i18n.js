// Interface strings in English and Chinese. Product data (titles, categories) is shown as the catalogue has it.
export const MESSAGES = {
  en: {
    title: 'souk product search',
    searchLabel: 'Search products',
    placeholder: 'Search products, e.g. hoodie, yoga pants, blue jacket',
    search: 'Search',
    voice: 'Search by voice',
    listening: 'Listening…',
    photo: 'Search by photo',
    photoChip: 'Photo: {name}',
    clearPhoto: 'Remove photo',
    dropPhoto: 'Drop a photo to search for similar products',
    refine: 'Refine',
    category: 'Category',
    brand: 'Brand',
    color: 'Colour',
    size: 'Size',
    price: 'Price',
    priceMin: 'Minimum price',
    priceMax: 'Maximum price',
    allCategories: 'All categories',
    clearFilters: 'Clear all filters',
    sortBy: 'Sort by',
    'sort.relevance': 'Relevance',
    'sort.price:asc': 'Price: low to high',
    'sort.price:desc': 'Price: high to low',
    'sort.rating:desc': 'Rating',
    summary: '{total} results for “{q}” ({ms} ms)',
    summaryAll: '{total} products ({ms} ms)',
    summaryPhoto: '{total} products like your photo ({ms} ms)',
    noResults: 'No products found.',
    didYouMean: 'Did you mean',
    previous: 'Previous',
    next: 'Next',
    page: 'Page {page} of {pages}',
    pagination: 'Pagination',
    rating: 'Rated {rating} out of 5',
    suggestions: 'Suggestions',
    error: 'Search failed: {message}',
    close: 'Close',
    language: 'Language',
    skip: 'Skip to results',
  },
  zh: {
    title: 'souk 商品搜索',
    searchLabel: '搜索商品',
    placeholder: '搜索商品，例如：连帽衫、瑜伽裤、蓝色夹克',
    search: '搜索',
    voice: '语音搜索',
    listening: '正在聆听…',
    photo: '以图搜图',
    photoChip: '图片：{name}',
    clearPhoto: '移除图片',
    dropPhoto: '拖放图片以搜索相似商品',
    refine: '筛选',
    category: '类目',
    brand: '品牌',
    color: '颜色',
    size: '尺码',
    price: '价格',
    priceMin: '最低价格',
    priceMax: '最高价格',
    allCategories: '全部类目',
    clearFilters: '清除全部筛选',
    sortBy: '排序',
    'sort.relevance': '相关度',
    'sort.price:asc': '价格从低到高',
    'sort.price:desc': '价格从高到低',
    'sort.rating:desc': '评分',
    summary: '“{q}”共 {total} 个结果（{ms} 毫秒）',
    summaryAll: '共 {total} 个商品（{ms} 毫秒）',
    summaryPhoto: '与图片相似的商品 {total} 个（{ms} 毫秒）',
    noResults: '没有找到商品。',
    didYouMean: '您是不是要找',
    previous: '上一页',
    next: '下一页',
    page: '第 {page} 页，共 {pages} 页',
    pagination: '分页',
    rating: '评分 {rating}（满分 5）',
    suggestions: '搜索建议',
    error: '搜索失败：{message}',
    close: '关闭',
    language: '语言',
    skip: '跳到搜索结果',
  },
};

const STORAGE_KEY = 'souk.lang';
let current = initialLanguage();

function initialLanguage() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && saved in MESSAGES) return saved;
  } catch {
    // storage may be disabled
  }
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!(lang in MESSAGES)) return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not persisted, still switched
  }
  applyTranslations(document);
}

/** The message for `key` with `{name}` placeholders filled in. */
export function t(key, values = {}) {
  const text = MESSAGES[current][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : ''));
}

/** Fills `data-i18n` (text), `data-i18n-placeholder`, `data-i18n-label` (aria-label and title) attributes. */
export function applyTranslations(root) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
  for (const el of root.querySelectorAll('[data-lang]')) {
    el.setAttribute('aria-pressed', String(el.dataset.lang === current));
  }
}
