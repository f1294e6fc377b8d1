// The foundation as people use it in a browser: the front page, staff and patron logins by
// keyboard, the staff pages, clear errors — every page accessible (axe-core, WCAG 2.1 AA) and light.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, launchBrowser, accessibilityViolations, pageWeight, logIn } from './support.mjs';

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('the front page lists the members, is accessible and light', async () => {
  const page = await browser.newPage();
  const weight = await pageWeight(page, demo.url + '/');
  assert.ok(weight < 100 * 1024, `front page weighs ${weight} bytes`);
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Three Rivers Library Consortium' }).waitFor());
  for (const member of ['Riverside Public Library', 'Ohio Valley State University Libraries', 'Greenfield City Schools']) {
    assert.ok(await page.getByText(member).first().isVisible(), member);
  }
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.close();
});

test('a member admin logs in with the keyboard and edits their branding', async () => {
  const admin = demo.staff('member_admin');
  const page = await browser.newPage();
  await page.goto(demo.url + '/login');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill(admin.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(demo.url + '/admin');
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.getByRole('link', { name: 'Member libraries and branches' }).click();
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('link', { name: 'RIVER', exact: true }).click();
  await page.getByLabel('Brand colour (like #1a5276)').fill('teal');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /is not a colour like #1a5276/);
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.getByLabel('Brand colour (like #1a5276)').fill('#1a5276');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').innerText(), /Your changes have been saved/);
  await page.close();
});

test('circulation staff find a patron; another member\u2019s patron is refused', async () => {
  const page = await logIn(browser, demo, demo.staff('circulation'));
  await page.getByRole('link', { name: 'Patrons', exact: true }).click();
  await page.getByLabel('Card number, name (surname first) or email').fill(demo.credentials.patron.card);
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: /Rossi, Maria/ }).click();
  assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Maria Rossi/);
  assert.deepEqual(await accessibilityViolations(page), []);
  // The next demo card belongs to a school member: the Riverside desk does not see it.
  await page.goto(demo.url + '/admin/patrons?q=21000000002');
  assert.match(await page.getByRole('heading', { level: 2 }).first().innerText(), /^0 patrons found/);
  await page.close();
});

test('a patron logs in with card and PIN and sees only their account', async () => {
  const page = await browser.newPage();
  await page.goto(demo.url + '/account/login');
  await page.getByLabel('Library card number').fill(demo.credentials.patron.card);
  await page.getByLabel('PIN').fill(demo.credentials.patron.pin);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(demo.url + '/account');
  assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Hello, Maria Rossi/);
  assert.deepEqual(await accessibilityViolations(page), []);
  const refused = await page.goto(demo.url + '/admin');
  assert.equal(new URL(page.url()).pathname, '/login', `patrons are sent to the staff login, got ${refused.status()}`);
  await page.close();
});
