import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { expect } from 'vitest';

export const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
export const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? 'admin@wasmart.local';
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? '';
const ORIGIN = new URL(BASE_URL).origin;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
}

/** Every request any page made, across the whole run. */
export const recorded: { url: string; type: string; method: string; page: string }[] = [];

/** Same origin, and either the API (/api/v1/...) or the app's own files (documents, /assets/..., /favicon.svg). */
export function isAllowed(r: { url: string; type: string }): boolean {
  if (r.url.startsWith('data:') || r.url.startsWith('blob:')) return false;
  let u: URL;
  try {
    u = new URL(r.url);
  } catch {
    return false;
  }
  if (u.origin !== ORIGIN) return false;
  if (u.pathname.startsWith('/api/v1/')) return true;
  if (r.type === 'document') return true; // the SPA's index.html for any route
  return u.pathname.startsWith('/assets/') || u.pathname === '/favicon.svg';
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1280, height: 900 } });
  context.on('request', (req: Request) => {
    recorded.push({ url: req.url(), type: req.resourceType(), method: req.method(), page: req.frame()?.url() ?? '' });
  });
  return context;
}

/** Where each test leaves a screenshot of its last page (gitignored). */
const ARTIFACTS = new URL('../e2e-artifacts/', import.meta.url);

/**
 * Runs `fn` on a fresh page of a fresh context; leaves a screenshot named after the test in
 * e2e-artifacts/, and prints the page's errors when `fn` fails.
 */
export async function pageOf<T>(browser: Browser, fn: (page: Page, log: string[]) => Promise<T>): Promise<T> {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const log = watch(page);
  try {
    return await fn(page, log);
  } catch (e) {
    console.error(`page ${page.url()}\n${log.join('\n')}`);
    throw e;
  } finally {
    const name = (expect.getState().currentTestName ?? 'page').replace(/[^A-Za-z0-9]+/g, '-').slice(0, 100);
    await mkdir(ARTIFACTS, { recursive: true });
    await screenshot(page, new URL(`${name}.png`, ARTIFACTS).pathname).catch(() => undefined);
    await context.close();
  }
}

/**
 * The whole page, taken with a viewport as tall as the page (a full-page capture would draw
 * the sticky header in the middle of it).
 */
async function screenshot(page: Page, path: string): Promise<void> {
  const width = page.viewportSize()?.width ?? 1280;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height: Math.min(Math.max(height, 200), 4000) });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path });
}

/** Collects console errors and failed API responses, to explain a failure. */
export function watch(page: Page): string[] {
  const log: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') log.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && r.url().includes('/api/v1/')) log.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return log;
}

export function uniqueEmail(): string {
  return `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export async function register(page: Page, name: string, email: string, password: string) {
  await page.goto('/register');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** From the home page: search for a featured product by name, open it and add it to the cart. */
export async function searchAndAddToCart(page: Page): Promise<string> {
  await page.goto('/');
  const featured = page.getByTestId('featured-list');
  await featured.waitFor();
  // A product that is in stock: the first card without "Out of stock".
  const card = featured.getByTestId('product-card').filter({ hasNotText: 'Out of stock' }).first();
  const name = (await card.locator('.product-name').textContent())!.trim();
  await page.getByLabel('Search products').fill(name);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('page-catalog').waitFor();
  await page.waitForURL(/\/products\?q=/);
  const result = page.getByTestId('product-list').getByRole('link', { name, exact: true }).first();
  await result.click();
  await page.getByTestId('page-product').getByRole('heading', { name }).waitFor();
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByText('Added to your cart.').waitFor();
  return name;
}

/** Cart → checkout with a new address and the given test token; returns once on the order page. */
export async function checkout(page: Page, cardToken: 'tok_visa' | 'tok_chargeDeclined' | 'tok_processingError') {
  await page.getByTestId('cart-count').waitFor();
  await page.goto('/cart');
  await page.getByTestId('cart-line').first().waitFor();
  await page.getByRole('link', { name: 'Check out' }).click();
  await page.getByTestId('page-checkout').waitFor();
  await page.getByLabel('Full name').fill('E2E Shopper');
  await page.getByLabel('Address line 1').fill('1 Test Street');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('12345');
  await page.getByLabel('Country code (e.g. US, GB)').fill('US');
  await page.locator(`input[type=radio][value=${cardToken}]`).check();
  await page.getByRole('button', { name: /Place order/ }).click();
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  await page.getByTestId('page-order').waitFor();
}

export async function orderStatus(page: Page): Promise<string | null> {
  return page.getByTestId('page-order').locator('h1 [data-testid=order-status]').getAttribute('data-status');
}
