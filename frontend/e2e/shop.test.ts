import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  BASE_URL,
  checkout,
  isAllowed,
  launch,
  pageOf,
  orderStatus,
  recorded,
  register,
  searchAndAddToCart,
  signIn,
  uniqueEmail,
} from './harness';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const withPage = <T>(fn: (page: Page, log: string[]) => Promise<T>) => pageOf(browser, fn);

describe(`Wasmart at ${BASE_URL}`, () => {
  it('home page renders the featured products', async () => {
    await withPage(async (page) => {
      // Stamp, inside the page, the moment the featured list first enters the DOM (ms since navigation start).
      await page.addInitScript(() => {
        const w = window as unknown as { __featuredAt?: number };
        const check = () => {
          if (w.__featuredAt === undefined && document.querySelector('[data-testid="featured-list"] [data-testid="product-card"]')) {
            w.__featuredAt = performance.now();
          }
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
      });
      const started = Date.now();
      await page.goto('/');
      const featured = page.getByTestId('featured-list');
      await featured.waitFor();
      const wall = Date.now() - started;
      const ms = await page.evaluate(() => (window as unknown as { __featuredAt?: number }).__featuredAt);
      expect(ms).toBeTypeOf('number');
      console.log(`home first render: ${Math.round(ms!)} ms`);
      console.log(`(wall clock from goto until seen by the test: ${wall} ms)`);
      expect(await featured.getByTestId('product-card').count()).toBeGreaterThan(0);
      expect(await page.locator('main').count()).toBe(1);
      expect(await page.locator('main').getAttribute('data-testid')).toBe('page-home');
    });
  });

  let email = '';
  const password = 'e2e-password-123';

  /** Signs in the shopper the purchase test registered (registers one if that test failed). */
  async function signInShopper(page: Page) {
    if (email) {
      await signIn(page, email, password);
    } else {
      email = uniqueEmail();
      await register(page, 'E2E Shopper', email, password);
    }
  }

  it('a new user registers, searches, buys with tok_visa and sees it paid without a reload', async () => {
    await withPage(async (page) => {
      email = uniqueEmail();
      await register(page, 'E2E Shopper', email, password);
      await searchAndAddToCart(page);
      await checkout(page, 'tok_visa');
      // Mark the document: a reload would lose this.
      await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
      await page.locator('h1 [data-testid=order-status][data-status=paid]').waitFor({ timeout: 30_000 });
      expect(await orderStatus(page)).toBe('paid');
      expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
      // The payment notification shows up as an unread badge in the header.
      const badge = page.getByTestId('unread-badge');
      await badge.waitFor({ timeout: 30_000 });
      expect(Number(await badge.textContent())).toBeGreaterThan(0);
    });
  });

  it('a declined card ends as payment_failed', async () => {
    await withPage(async (page) => {
      await signInShopper(page);
      await searchAndAddToCart(page);
      await checkout(page, 'tok_chargeDeclined');
      await page.locator('h1 [data-testid=order-status][data-status=payment_failed]').waitFor({ timeout: 30_000 });
      await expect(page.getByRole('alert').filter({ hasText: 'The payment failed' }).count()).resolves.toBe(1);
    });
  });

  it('an admin sees every service on the ops dashboard', async () => {
    await withPage(async (page) => {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto('/admin/ops');
      await page.getByTestId('page-ops').waitFor();
      const services = page.getByTestId('service');
      await services.first().waitFor();
      const names = await services.evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
      expect(names.sort()).toEqual(['accounts', 'alerts', 'cart', 'catalog', 'gateway', 'notifications', 'orders', 'payments', 'telemetry']);
      for (const s of await services.all()) {
        expect(await s.getByTestId('latency').textContent()).toMatch(/^\d+ ms$/);
      }
      // It refreshes by itself (every 2 s).
      const healthCalls = () => recorded.filter((r) => r.url.endsWith('/api/v1/health')).length;
      const before = healthCalls();
      await page.waitForTimeout(4500);
      expect(healthCalls()).toBeGreaterThan(before);
    });
  });

  it('an admin sees an alert on the dashboard and in their notifications when payments fail', async () => {
    await withPage(async (page) => {
      await signInShopper(page);
      await searchAndAddToCart(page);
      await checkout(page, 'tok_chargeDeclined');
      await page.locator('h1 [data-testid=order-status][data-status=payment_failed]').waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto('/admin/ops');
      // Any failed payment in the window now fires: the declined one above does.
      const rule = page.getByRole('form', { name: 'Payment failure rate' });
      const setRule = async (threshold: string, minCount: string) => {
        await rule.getByLabel('Payment failure rate threshold').fill(threshold);
        await rule.getByLabel('Payment failure rate minimum count').fill(minCount);
        await rule.getByRole('button', { name: 'Save' }).click();
        await rule.getByRole('status').waitFor();
      };
      await setRule('0', '1');
      try {
        const alert = page.getByTestId('active-alerts').locator('[data-testid=alert][data-rule=payment-failure-rate]');
        await alert.waitFor({ timeout: 15_000 });
        expect(await alert.textContent()).toContain('payment failure rate');
        await page.goto('/notifications');
        await page.getByTestId('notification').filter({ hasText: 'Alert raised' }).first().waitFor({ timeout: 15_000 });
        await page.goto('/admin/ops');
      } finally {
        await setRule('50', '5');
      }
    });
  });

  it('a flaky card processor still ends in paid, after its retries', async () => {
    await withPage(async (page) => {
      await signInShopper(page);
      await searchAndAddToCart(page);
      await checkout(page, 'tok_processingError');
      await page.locator('h1 [data-testid=order-status][data-status=paid]').waitFor({ timeout: 30_000 });
      expect(await orderStatus(page)).toBe('paid');
    });
  });

  it('a keyboard alone reaches the content and signs in', async () => {
    await withPage(async (page) => {
      if (!email) {
        await signInShopper(page);
        await page.getByRole('button', { name: 'Sign out' }).click();
      }
      await page.goto('/signin');
      await page.getByTestId('page-signin').waitFor();
      // The first Tab lands on the skip link, which moves focus past the header.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Skip to content');
      await page.keyboard.press('Enter');
      expect(page.url()).toMatch(/#main$/);
      await page.getByLabel('Email').focus();
      await page.keyboard.type(email);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
      await page.keyboard.type(password);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    });
  });

  it('a wrong password is refused with a clear message, and the form stays usable', async () => {
    await withPage(async (page) => {
      await page.goto('/signin');
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill('not the password at all');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const banner = page.getByTestId('page-signin').getByRole('alert');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('Wrong email or password.');
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      expect(await page.getByLabel('Email').inputValue()).toBe(ADMIN_EMAIL);
    });
  });

  it('an admin edits a product and the catalogue shows the change', async () => {
    await withPage(async (page) => {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto('/admin');
      const table = page.getByTestId('admin-product-table');
      await table.waitFor();
      await table.getByRole('button', { name: /^Edit / }).first().click();
      const name = `E2E edited ${Date.now()}`;
      await page.getByLabel('Name').fill(name);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await table.getByText(name).waitFor();
      await page.goto(`/products?q=${encodeURIComponent(name)}`);
      await page.getByTestId('product-list').getByRole('link', { name }).first().waitFor();
    });
  });

  it('every page renders exactly one main landmark of its own', async () => {
    const expectMain = async (page: Page, path: string, testId: string) => {
      await page.goto(path);
      await page.getByTestId(testId).waitFor();
      expect(await page.locator('main').count(), path).toBe(1);
      expect(await page.locator('main').getAttribute('data-testid'), path).toBe(testId);
    };
    await withPage(async (page) => {
      await expectMain(page, '/signin', 'page-signin');
      await expectMain(page, '/register', 'page-register');
      await register(page, 'E2E Visitor', uniqueEmail(), 'e2e-password-123');
      await expectMain(page, '/', 'page-home');
      await expectMain(page, '/products', 'page-catalog');
      await page.getByTestId('product-list').getByRole('link').first().click();
      await page.getByTestId('page-product').waitFor();
      expect(await page.locator('main').count()).toBe(1);
      await expectMain(page, '/cart', 'page-cart');
      await expectMain(page, '/checkout', 'page-checkout');
      await expectMain(page, '/orders', 'page-orders');
      await expectMain(page, '/account', 'page-account');
      await expectMain(page, '/notifications', 'page-notifications');
    });
    await withPage(async (page) => {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await expectMain(page, '/admin', 'page-admin-products');
      await expectMain(page, '/admin/dead-letters', 'page-admin-dead-letters');
      await expectMain(page, '/admin/ops', 'page-ops');
    });
  });

  it('every request went to same-origin /api/v1/... or the app’s own files', () => {
    expect(recorded.length).toBeGreaterThan(10);
    const api = recorded.filter((r) => new URL(r.url).pathname.startsWith('/api/v1/'));
    expect(api.length).toBeGreaterThan(5);
    const offenders = recorded.filter((r) => !isAllowed(r)).map((r) => `${r.method} ${r.url} (${r.type}, from ${r.page})`);
    expect(offenders).toEqual([]);
  });
});
