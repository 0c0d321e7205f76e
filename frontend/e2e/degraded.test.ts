// Run against a shop whose catalog component is stopped (tests/components/browser.rs starts
// one): the home page must still render, with the catalog's parts marked unavailable.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, launch, pageOf, register, uniqueEmail } from './harness';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe(`Wasmart at ${BASE_URL} with catalog stopped`, () => {
  it('the home page renders its other parts and says what is unavailable', async () => {
    await pageOf(browser, async (page) => {
      await register(page, 'E2E Degraded', uniqueEmail(), 'e2e-password-123');
      await page.goto('/');
      const home = page.getByTestId('page-home');
      await home.waitFor();
      await home.getByTestId('unavailable-featured products').waitFor();
      await home.getByTestId('unavailable-categories').waitFor();
      // Cart and notifications still answer.
      await home.getByTestId('cart-summary').waitFor();
      await home.getByTestId('unread-summary').waitFor();
      expect(await home.getByRole('heading', { level: 1 }).textContent()).toContain('Welcome back');
    });
  });
});
